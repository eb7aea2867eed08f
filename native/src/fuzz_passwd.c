/* libFuzzer target: the /etc/passwd scanner of the home-from-passwd op.
 * Input: 4 bytes of uid (LE), then the file's bytes (fed through a memfd, so
 * the real read loop, line buffer and limits run). It must never crash or
 * leak; a found home is a NUL-free string no longer than the input. The
 * error helpers are the real ones (sync.c); the resolver, unused here, is stubbed. */
#define _GNU_SOURCE
#include "oci.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int open_in_root(int root, const char *path, int flags) {
  (void)root, (void)path, (void)flags;
  errno = ENOSYS;
  return -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 4) return 0;
  uint32_t uid = (uint32_t)data[0] | (uint32_t)data[1] << 8 | (uint32_t)data[2] << 16 | (uint32_t)data[3] << 24;
  static int fd = -1;
  if (fd < 0 && (fd = memfd_create("passwd", MFD_CLOEXEC)) < 0) abort();
  if (ftruncate(fd, 0) < 0 || pwrite(fd, data + 4, size - 4, 0) != (ssize_t)(size - 4) || lseek(fd, 0, SEEK_SET) != 0) abort();
  char *home = NULL;
  if (passwd_home(fd, uid, &home) == 0) {
    if (home && strlen(home) > size) abort();
    free(home);
  } else if (home || !g_err.err) {
    abort();
  }
  return 0;
}
