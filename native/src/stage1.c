/* Stage 1: the container's init. Runs the ops in order, reports the first
 * failure with its index, then readies and execs the process. */
#define _GNU_SOURCE
#include "oci.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

int run_op(struct init_ctx *c, const struct op *o) {
  switch (o->kind) {
  case OP_PROPAGATE: case OP_BIND_ROOTFS: case OP_MOUNT: case OP_MKDIR: case OP_SYMLINK:
  case OP_MKNOD: case OP_BIND_DEVICE: case OP_PIVOT_ROOT: case OP_CHROOT: case OP_READONLY_ROOT:
  case OP_MASK_PATH: case OP_READONLY_PATH:
    return ops_mount(c, o);
  case OP_SETHOSTNAME: case OP_SETDOMAINNAME: case OP_SYSCTL: case OP_OOM_SCORE_ADJ:
  case OP_APPARMOR: case OP_SELINUX_LABEL:
    return ops_system(c, o);
  case OP_RLIMIT: case OP_UMASK: case OP_PERSONALITY: case OP_IOPRIO: case OP_SCHEDULER:
  case OP_NO_NEW_PRIVS: case OP_IDENTITY: case OP_SECCOMP: case OP_CHDIR:
    return ops_process(c, o);
  case OP_SYNC: case OP_HOOK:
    return ops_caller(c, o);
  case OP_CONSOLE:
    return op_console(c, o);
  case OP_HOME_FROM_PASSWD:
    return op_home_from_passwd(c, o);
  }
  return fail_errno(EINVAL, "unknown op kind %d", (int)o->kind);
}

static _Noreturn void fail_stage1(struct init_ctx *c, int status_fd, long index, const char *name) {
  sync_send_error(c->sync_fd, index, name, g_err.err, g_err.msg);
  if (write(status_fd, "E", 1) < 0) { /* stage 0 learns from EOF instead */ }
  _exit(1);
}

/* Drops what the waiting init no longer needs: a created container should
 * cost well under 1 MiB while it sits on the exec fifo. */
static void free_ops(struct plan *p) {
  struct plan keep = {0};
  keep.args = p->args;
  keep.nargs = p->nargs;
  keep.env = p->env;
  keep.nenv = p->nenv;
  keep.preserve_fds = p->preserve_fds;
  keep.start_hooks = p->start_hooks;
  keep.nstart_hooks = p->nstart_hooks;
  p->args = NULL;
  p->env = NULL;
  p->nargs = p->nenv = 0;
  p->start_hooks = NULL;
  p->nstart_hooks = 0;
  plan_free(p);
  *p = keep;
}

_Noreturn void stage1(struct plan *p, int sync_fd, int release_fd, int status_fd, int fifo_fd) {
  static const int forwarded[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};
  for (size_t i = 0; i < sizeof forwarded / sizeof *forwarded; i++) signal(forwarded[i], SIG_DFL);
  signal(SIGPIPE, SIG_IGN); /* a vanished reader must not kill us mid-setup; reset at exec */
  struct init_ctx c = {p, sync_fd, -1, fifo_fd, 0, -1, {NULL, NULL}, 022};
  /* Non-dumpable (set in main, inherited) makes /proc/<us>/uid_map root-owned:
   * an unprivileged stage 0 could not write our maps. Like runc, be dumpable
   * only while waiting for them; nobody else can be in a namespace this new. */
  int map_dance = (p->create_flags & CLONE_NEWUSER) && geteuid() != 0;
  if (map_dance) prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
  char go = 0;
  ssize_t n;
  do n = read(release_fd, &go, 1);
  while (n < 0 && errno == EINTR);
  if (n != 1) _exit(1); /* stage 0 gave up on us */
  close(release_fd);
  if (map_dance && prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
    fail_errno(errno, "prctl(PR_SET_DUMPABLE, 0)");
    fail_stage1(&c, status_fd, -1, "init");
  }
  if (p->create_flags & CLONE_NEWUSER) { /* become root of the new user namespace when 0 is mapped */
    if (setresgid(0, 0, 0) < 0 && errno != EINVAL) {
      fail_errno(errno, "setresgid 0 in the user namespace");
      fail_stage1(&c, status_fd, -1, "idmap");
    }
    if (setresuid(0, 0, 0) < 0 && errno != EINVAL) {
      fail_errno(errno, "setresuid 0 in the user namespace");
      fail_stage1(&c, status_fd, -1, "idmap");
    }
  }
  c.root_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (c.root_fd < 0) {
    fail_errno(errno, "open /");
    fail_stage1(&c, status_fd, -1, "init");
  }
  c.umask = umask(0); /* ops create with exact modes; the process umask is set at exec */
  c.hook_umask = c.umask;
  for (uint32_t i = 0; i < p->nops; i++)
    if (run_op(&c, &p->ops[i]) < 0) fail_stage1(&c, status_fd, (long)i, op_name_of(p->ops[i].kind));
  for (uint32_t i = 0; i < p->preserve_fds; i++) /* they arrive at 4.. (fd 3 was the sync socket) */
    if (fcntl((int)(4 + i), F_GETFD) < 0) {
      fail_errno(EBADF, "preserved fd %u (passed as fd %u) is not open", 3 + i, 4 + i);
      fail_stage1(&c, status_fd, -1, "preserve-fds");
    }
  /* Like runc: a missing executable fails create, not start. */
  char path[PATH_MAX];
  if (exec_lookup(p, path, sizeof path) < 0) fail_stage1(&c, status_fd, -1, "exec");
  close(c.root_fd);
  free_ops(p);
  sync_send_ready(sync_fd);
  if (write(status_fd, "R", 1) < 0) { /* stage 0 may be gone in wait mode: fine */ }
  close(status_fd);
  exec_process(&c, path);
}
