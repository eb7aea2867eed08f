/* Stage 0: join the cgroup and namespaces, clone the container init with its
 * new namespaces, write its id maps, report its pid, then exit or wait. */
#define _GNU_SOURCE
#include "oci.h"
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static volatile pid_t g_child;

static _Noreturn void die(int sync_fd, const char *op_name) {
  sync_send_error(sync_fd, -1, op_name, g_err.err, g_err.msg);
  _exit(1);
}

static int write_file(const char *path, const char *data, size_t len) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t w = write(fd, data, len);
  int e = errno;
  close(fd);
  errno = e;
  return w == (ssize_t)len ? 0 : -1;
}

static void join_cgroups(struct plan *p, int sync_fd) {
  char pid[16];
  int n = snprintf(pid, sizeof pid, "%d", (int)getpid());
  for (uint32_t i = 0; i < p->ncgroup_procs; i++)
    if (write_file(p->cgroup_procs[i], pid, (size_t)n) < 0) {
      fail_errno(errno, "join cgroup %s", p->cgroup_procs[i]);
      die(sync_fd, "cgroup");
    }
}

/* For pid and time, what matters is the namespace our children get. */
static int already_in(int nsdir, int fd, uint32_t type) {
  static const struct { uint32_t type; const char *self; } names[] = {
    {CLONE_NEWUSER, "user"}, {CLONE_NEWNS, "mnt"}, {CLONE_NEWPID, "pid_for_children"}, {CLONE_NEWUTS, "uts"},
    {CLONE_NEWIPC, "ipc"}, {CLONE_NEWNET, "net"}, {CLONE_NEWCGROUP, "cgroup"}, {CLONE_NEWTIME, "time_for_children"},
  };
  for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
    if (names[i].type != type) continue;
    struct stat a, b;
    return fstat(fd, &a) == 0 && fstatat(nsdir, names[i].self, &b, 0) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
  }
  return 0;
}

static void join_namespaces(struct plan *p, int sync_fd) {
  int fds[16];
  /* Open every path first: joining a mount namespace changes what paths mean
   * (our own /proc/self/ns too: the container's /proc does not show us). */
  int nsdir = p->njoins ? open("/proc/self/ns", O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
  for (uint32_t i = 0; i < p->njoins; i++) {
    fds[i] = open(p->joins[i].path, O_RDONLY | O_CLOEXEC);
    if (fds[i] < 0) {
      fail_errno(errno, "open namespace %s", p->joins[i].path);
      die(sync_fd, "setns");
    }
  }
  for (uint32_t i = 0; i < p->njoins; i++) {
    /* A namespace we are already in is skipped: setns into our own user
     * namespace is EINVAL, and once inside a container's user namespace,
     * joining a host-owned one (the container shares the host's network,
     * say) is EPERM. So a caller may list every /proc/<pid>/ns entry of a
     * container (oci-run exec) and get exactly the ones it does not share. */
    if (already_in(nsdir, fds[i], p->joins[i].type)) {
      close(fds[i]);
      continue;
    }
    if (setns(fds[i], (int)p->joins[i].type) < 0) {
      fail_errno(errno, "join namespace %s (type 0x%x)", p->joins[i].path, p->joins[i].type);
      die(sync_fd, "setns");
    }
    close(fds[i]);
  }
  if (nsdir >= 0) close(nsdir);
}

/* A time namespace applies to children, so stage 0 unshares it and sets the
 * offsets before cloning the first (and only) process that enters it. */
static void make_time_ns(struct plan *p, int sync_fd) {
  if (unshare(CLONE_NEWTIME) < 0) {
    fail_errno(errno, "unshare time namespace");
    die(sync_fd, "timens");
  }
  char buf[128];
  int n = 0;
  if (p->monotonic.present)
    n += snprintf(buf + n, sizeof buf - (size_t)n, "monotonic %lld %u\n", (long long)p->monotonic.secs, p->monotonic.nsecs);
  if (p->boottime.present)
    n += snprintf(buf + n, sizeof buf - (size_t)n, "boottime %lld %u\n", (long long)p->boottime.secs, p->boottime.nsecs);
  /* The kernel takes one offset per write. */
  for (char *line = buf; n > 0 && *line;) {
    char *nl = strchr(line, '\n');
    if (write_file("/proc/self/timens_offsets", line, (size_t)(nl - line + 1)) < 0) {
      fail_errno(errno, "write /proc/self/timens_offsets");
      die(sync_fd, "timens");
    }
    line = nl + 1;
  }
}

static int write_map(pid_t pid, const char *file, const struct id_map *m, uint32_t n) {
  char path[64], buf[340 * 36 + 1];
  size_t len = 0;
  for (uint32_t i = 0; i < n; i++)
    len += (size_t)snprintf(buf + len, sizeof buf - len, "%u %u %u\n", m[i].container_id, m[i].host_id, m[i].size);
  snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
  if (write_file(path, buf, len) < 0) return fail_errno(errno, "write %s", path);
  return 0;
}

static int write_id_maps(struct plan *p, pid_t pid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/setgroups", (int)pid);
  const char *sg = p->setgroups_allow ? "allow" : "deny";
  if (write_file(path, sg, strlen(sg)) < 0 && !(errno == ENOENT && p->setgroups_allow))
    return fail_errno(errno, "write %s", path);
  if (write_map(pid, "uid_map", p->uid_maps, p->nuid_maps) < 0) return -1;
  return write_map(pid, "gid_map", p->gid_maps, p->ngid_maps);
}

/* oom-score-adj for a container with its own user namespace: written by us,
 * host root, to /proc/<child> through a procfs-verified fd (the last such op
 * wins, as it would in order). Stage 1 skips the op then (ops_system.c). */
static int write_child_oom(struct plan *p, pid_t child, long *index) {
  for (uint32_t i = p->nops; i-- > 0;) {
    if (p->ops[i].kind != OP_OOM_SCORE_ADJ) continue;
    *index = (long)i;
    char rel[32], v[16];
    snprintf(rel, sizeof rel, "%d/oom_score_adj", (int)child);
    int n = snprintf(v, sizeof v, "%d", p->ops[i].i1);
    int fd = open_proc_write(rel);
    if (fd < 0) return fail_errno(errno, "oom_score_adj %d: open /proc/%s", p->ops[i].i1, rel);
    ssize_t w = write(fd, v, (size_t)n);
    int e = errno;
    close(fd);
    if (w != n) return fail_errno(w < 0 ? e : EIO, "oom_score_adj %d: write /proc/%s", p->ops[i].i1, rel);
    return 0;
  }
  return 0;
}

static void forward_signal(int sig) {
  if (g_child > 0) kill(g_child, sig);
}

static const int forwarded[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};

static _Noreturn void wait_child(pid_t child) {
  struct sigaction sa = {0};
  sa.sa_handler = forward_signal;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  for (size_t i = 0; i < sizeof forwarded / sizeof *forwarded; i++) sigaction(forwarded[i], &sa, NULL);
  int status;
  for (;;) {
    pid_t r = waitpid(child, &status, 0);
    if (r == child) break;
    if (r < 0 && errno != EINTR) _exit(1);
  }
  if (WIFSIGNALED(status)) _exit(128 + WTERMSIG(status));
  _exit(WEXITSTATUS(status));
}

_Noreturn void stage0(struct plan *p, int sync_fd) {
  int fifo_fd = -1;
  if (p->exec_fifo) { /* a host path: made and opened before any namespace join can change what it means */
    /* Made here because Node and Bun have no mkfifo (oci-run would have to
     * spawn mkfifo(1)); one that exists already is used as it is. O_NOFOLLOW:
     * the caller's state directory is ours, a symlink there is not. */
    if (mkfifo(p->exec_fifo, 0622) == 0) chmod(p->exec_fifo, 0622); /* 0622 whatever our umask */
    else if (errno != EEXIST) {
      fail_errno(errno, "mkfifo exec fifo %s", p->exec_fifo);
      die(sync_fd, "exec-fifo");
    }
    fifo_fd = open(p->exec_fifo, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    struct stat st; /* with O_PATH, O_NOFOLLOW opens a symlink itself: insist on a fifo */
    if (fifo_fd >= 0 && (fstat(fifo_fd, &st) < 0 || !S_ISFIFO(st.st_mode))) close(fifo_fd), fifo_fd = -1, errno = ELOOP;
    if (fifo_fd < 0) {
      fail_errno(errno, "open exec fifo %s", p->exec_fifo);
      die(sync_fd, "exec-fifo");
    }
  }
  join_cgroups(p, sync_fd);
  join_namespaces(p, sync_fd);
  if (p->create_flags & CLONE_NEWTIME) make_time_ns(p, sync_fd);

  int release[2], status[2];
  if (pipe2(release, O_CLOEXEC) < 0 || pipe2(status, O_CLOEXEC) < 0) {
    fail_errno(errno, "pipe");
    die(sync_fd, "clone");
  }
  /* clone() without a stack: fork semantics plus the new namespaces. */
  unsigned long flags = (p->create_flags & ~(unsigned long)CLONE_NEWTIME) | SIGCHLD;
  pid_t child = (pid_t)syscall(SYS_clone, flags, NULL, NULL, NULL, 0);
  if (child < 0) {
    fail_errno(errno, "clone with namespace flags 0x%lx", flags & ~(unsigned long)SIGCHLD);
    die(sync_fd, "clone");
  }
  if (child == 0) {
    close(release[1]);
    close(status[0]);
    stage1(p, sync_fd, release[0], status[1], fifo_fd);
  }
  g_child = child;
  if (fifo_fd >= 0) close(fifo_fd);
  close(release[0]);
  close(status[1]);
  if ((p->create_flags & CLONE_NEWUSER) && p->has_idmaps && write_id_maps(p, child) < 0) {
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    die(sync_fd, "idmap");
  }
  long oom_index = -1;
  if ((p->create_flags & CLONE_NEWUSER) && write_child_oom(p, child, &oom_index) < 0) {
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    sync_send_error(sync_fd, oom_index, "oom-score-adj", g_err.err, g_err.msg);
    _exit(1);
  }
  sync_send_pid(sync_fd, child);
  if (write(release[1], "1", 1) != 1) {
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    fail_errno(errno, "release container init");
    die(sync_fd, "clone");
  }
  close(release[1]);
  int wait_mode = p->stage0_wait;
  plan_free(p);
  if (wait_mode) wait_child(child); /* status[0] stays open: stage 1's "R" must not hit EPIPE */
  char st = 0;
  ssize_t n;
  do n = read(status[0], &st, 1);
  while (n < 0 && errno == EINTR);
  if (n == 1 && st == 'R') _exit(0);
  /* Stage 1 failed (and reported, 'E') or died without a word (EOF). */
  int ws = 0;
  waitpid(child, &ws, 0);
  if (n != 1) {
    char msg[96];
    if (WIFSIGNALED(ws)) snprintf(msg, sizeof msg, "container init was killed by signal %d before it was ready", WTERMSIG(ws));
    else snprintf(msg, sizeof msg, "container init exited with status %d before it was ready", WEXITSTATUS(ws));
    sync_send_error(sync_fd, -1, "init", ECHILD, msg);
  }
  _exit(1);
}
