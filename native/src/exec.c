/* The last steps of stage 1: find the executable, wait on the exec fifo,
 * hand over exactly stdio + the preserved fds, execve. */
#define _GNU_SOURCE
#include "oci.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* Go-style error text (lowercase strerror): clients match runc's wording. */
static int fail_go(int err, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(g_err.msg, sizeof g_err.msg, fmt, ap);
  va_end(ap);
  if (err && n >= 0 && (size_t)n < sizeof g_err.msg) {
    int m = snprintf(g_err.msg + n, sizeof g_err.msg - (size_t)n, ": %s", strerror(err));
    if (m > 2 && (size_t)(n + 2) < sizeof g_err.msg && g_err.msg[n + 2] >= 'A' && g_err.msg[n + 2] <= 'Z') g_err.msg[n + 2] += 'a' - 'A';
  }
  g_err.err = err ? err : ENOENT;
  return -1;
}

static int is_executable_file(const char *path) {
  struct stat st;
  if (stat(path, &st) < 0) return -1;
  if (S_ISDIR(st.st_mode)) {
    errno = EACCES;
    return -1;
  }
  if (faccessat(AT_FDCWD, path, X_OK, AT_EACCESS) < 0) return -1;
  return 0;
}

int exec_lookup(const struct plan *p, char *out, size_t len) {
  const char *name = p->args[0];
  if (strchr(name, '/')) {
    if (is_executable_file(name) < 0) return fail_go(errno, "exec: \"%s\": stat %s", name, name);
    if (strlen(name) >= len) return fail_go(ENAMETOOLONG, "exec: \"%s\"", name);
    strcpy(out, name);
    return 0;
  }
  const char *path = DEFAULT_PATH;
  for (uint32_t i = 0; i < p->nenv; i++)
    if (!strncmp(p->env[i], "PATH=", 5)) path = p->env[i] + 5;
  if (name[0]) {
    for (const char *dir = path;; dir = strchr(dir, ':') + 1) {
      const char *end = strchr(dir, ':');
      size_t dlen = end ? (size_t)(end - dir) : strlen(dir);
      int n = dlen ? snprintf(out, len, "%.*s/%s", (int)dlen, dir, name) : snprintf(out, len, "./%s", name);
      if (n > 0 && (size_t)n < len && is_executable_file(out) == 0) return 0;
      if (!end) break;
    }
  }
  fail_go(0, "exec: \"%s\": executable file not found in $PATH", name);
  g_err.err = ENOENT;
  return -1;
}

/* Safety rule 2: after this only stdio and 3..3+preserveFds-1 survive execve.
 * The caller passes preserved fds at 4.. (fd 3 is the sync socket, which main
 * moved to a high close-on-exec fd); they are renumbered to 3... */
static void hand_over_fds(uint32_t preserve) {
  for (uint32_t i = 0; i < preserve; i++) dup2((int)(4 + i), (int)(3 + i));
  if (preserve) close((int)(3 + preserve));
  close_range(3 + preserve, ~0U, CLOSE_RANGE_CLOEXEC);
}

/* The process starts with default dispositions and nothing blocked: an
 * ignored signal would otherwise survive execve (whatever our caller ignored).
 * The raw rt_sigaction is used because glibc's sigaction() refuses the two
 * signals it reserves for itself (32 and 33), and a caller that ignored one of
 * them (a Go or Bun parent can) would pass that on to the container. */
void reset_signals(void) {
  struct { void (*handler)(int); unsigned long flags; void (*restorer)(void); uint64_t mask; } dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; sig++)
    if (sig != SIGKILL && sig != SIGSTOP) syscall(SYS_rt_sigaction, sig, &dfl, NULL, sizeof dfl.mask);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
}

/* A failure after ready: report it to whoever still listens, and on stderr. */
static _Noreturn void exec_failed(struct init_ctx *c, const char *op_name) {
  sync_send_error(c->sync_fd, -1, op_name, g_err.err, g_err.msg);
  fprintf(stderr, "oci-init: %s\n", g_err.msg);
  _exit(1);
}

_Noreturn void exec_process(struct init_ctx *c, const char *path) {
  struct plan *p = c->plan;
  if (c->fifo_fd >= 0) {
    char fdp[32];
    /* Blocks until `start` opens the read side. */
    int w = open(fd_path(c->fifo_fd, fdp), O_WRONLY | O_CLOEXEC);
    if (w < 0 || write(w, "0", 1) != 1) {
      fprintf(stderr, "oci-init: write exec fifo: %s\n", strerror(errno));
      _exit(1);
    }
    close(w);
    close(c->fifo_fd);
  }
  /* startContainer hooks: after `start` released us, in the container's root, before execve. */
  for (uint32_t i = 0; i < p->nstart_hooks; i++)
    if (run_hook(c, &p->start_hooks[i]) < 0) exec_failed(c, "hook");
  if (c->console_fd >= 0 && console_attach(c->console_fd) < 0) exec_failed(c, "console");
  umask(c->umask);
  reset_signals();
  hand_over_fds(p->preserve_fds);
  execve(path, p->args, p->env);
  int e = errno;
  char msg[PATH_MAX + 64];
  snprintf(msg, sizeof msg, "exec %s: %s", path, strerror(e));
  sync_send_error(c->sync_fd, -1, "exec", e, msg);
  fprintf(stderr, "oci-init: %s\n", msg);
  _exit(e == ENOENT ? 127 : 126);
}
