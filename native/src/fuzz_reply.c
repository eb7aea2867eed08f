/* libFuzzer target: sync_reply_parse must accept or reject any input without
 * memory errors or leaks; accepted replies give NUL-free strings. */
#include "sync_reply.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct sync_reply r;
  char err[256];
  if (sync_reply_parse((const char *)data, size, &r, err, sizeof err) == 0) {
    if (!r.message) abort();
    for (int i = 0; i < SYNC_STATE_COUNT; i++)
      if (r.states[i] && strlen(r.states[i]) > size) abort();
    sync_reply_free(&r);
  }
  return 0;
}
