/* libFuzzer target: plan_decode must reject or accept any input without
 * memory errors or leaks (run under ASan by `make fuzz-run`). */
#include "plan.h"
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct plan p;
  char err[256];
  if (plan_decode(data, size, &p, err, sizeof err) == 0) plan_free(&p);
  return 0;
}
