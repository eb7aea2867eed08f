/* oci-init: executes a Plan (packages/plan/src/types.ts). The caller spawns it
 * with a unix stream socket on fd 3 (the sync channel) and writes the framed
 * plan there; preserved fds arrive at 4.. and are renumbered to 3... */
#define _GNU_SOURCE
#include "oci.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

extern char **environ;

#define SYNC_FD 3

int main(int argc, char **argv) {
  (void)argc;
  if (fcntl(SYNC_FD, F_GETFD) < 0) {
    fprintf(stderr, "oci-init: fd 3 must be the sync socket (see native/PLAN-FORMAT.md)\n");
    return 2;
  }
  if (getenv("OCI_INIT_NO_OPENAT2")) g_force_walk = 1; /* tests the fallback resolver */
  if (ensure_sealed_self(argv, environ) < 0) {
    sync_send_error(SYNC_FD, -1, "self-seal", g_err.err, g_err.msg);
    return 1;
  }
  /* CVE-2016-9962: until execve nothing in the container may ptrace us or open
   * /proc/<our pid>/fd, mem, …: we hold host fds (sync socket, exec fifo, the
   * rootfs before pivot) and, when joining a running container, share its pid
   * and user namespaces with its processes. Inherited by stage 1 (clone
   * copies the mm flags); execve makes the container process dumpable again. */
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
    sync_send_error(SYNC_FD, -1, "init", errno, "prctl(PR_SET_DUMPABLE, 0)");
    return 1;
  }
  uint8_t *buf;
  size_t len;
  if (sync_read_plan(SYNC_FD, &buf, &len) < 0) {
    sync_send_error(SYNC_FD, -1, "decode", g_err.err, g_err.msg);
    return 1;
  }
  struct plan plan;
  char err[256];
  int r = plan_decode(buf, len, &plan, err, sizeof err);
  free(buf);
  if (r < 0) {
    sync_send_error(SYNC_FD, -1, "decode", EINVAL, err);
    return 1;
  }
  /* Free fd 3 for the first preserved fd; the sync socket moves above them. */
  int sync_fd = fcntl(SYNC_FD, F_DUPFD_CLOEXEC, (int)(4 + plan.preserve_fds));
  if (sync_fd < 0) {
    sync_send_error(SYNC_FD, -1, "init", errno, "move sync fd");
    return 1;
  }
  close(SYNC_FD);
  stage0(&plan, sync_fd);
}
