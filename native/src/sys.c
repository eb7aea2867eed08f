/* libocisys: the syscalls TypeScript needs (loaded by packages/sys with koffi),
 * and the procfs checks oci-init shares. Library functions return a value >= 0
 * or -errno: no errno capture needed on the JavaScript side. */
#define _GNU_SOURCE
#include "oci.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

int fd_is_procfs(int fd) {
  struct statfs sfs;
  if (fstatfs(fd, &sfs) < 0) return -1;
  return sfs.f_type == PROC_SUPER_MAGIC;
}

/* Safety rule 4: /proc writes go through an fd proven to be on procfs; a
 * container could otherwise have mounted something over /proc/sys/x
 * (CVE-2019-16884, CVE-2019-19921 class). */
int open_proc_write(const char *rel) {
  int proc = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (proc < 0) return -1;
  if (fd_is_procfs(proc) != 1) {
    close(proc);
    errno = EXDEV;
    return -1;
  }
  int fd = open_in_root(proc, rel, O_WRONLY);
  int e = errno;
  close(proc);
  if (fd < 0) {
    errno = e;
    return -1;
  }
  if (fd_is_procfs(fd) != 1) {
    close(fd);
    errno = EXDEV;
    return -1;
  }
  return fd;
}

/* ── exported API ── */
#define API __attribute__((visibility("default")))
#define NEG(x) ((x) < 0 ? -errno : (x))

API int ocisys_is_procfs_fd(int fd) { return NEG(fd_is_procfs(fd)); }

API int ocisys_send_fd(int sock, int fd, const void *payload, int len) {
  char dummy = 0; /* SCM_RIGHTS needs at least one byte of data to ride on */
  return send_fd(sock, fd, len > 0 ? payload : &dummy, len > 0 ? (size_t)len : 1) < 0 ? -errno : 0;
}

/* One recvmsg keeping the first SCM_RIGHTS fd (close-on-exec) in *fd_out and
 * closing any extra, so nothing leaks. Returns the byte count or -errno;
 * -EMSGSIZE when the kernel cut the control data (any fd received is closed). */
static int recv_one(int sock, void *buf, size_t cap, int flags, int *fd_out) {
  *fd_out = -1;
  struct iovec iov = {buf, cap};
  union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int) * 4)]; } u;
  struct msghdr msg = {0};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = u.buf;
  msg.msg_controllen = sizeof u.buf;
  ssize_t r;
  do r = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | flags);
  while (r < 0 && errno == EINTR);
  if (r < 0) return -errno;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < n; i++) {
      int got;
      memcpy(&got, CMSG_DATA(c) + i * sizeof(int), sizeof got);
      if (*fd_out < 0) *fd_out = got;
      else close(got); /* one fd per message */
    }
  }
  if (msg.msg_flags & MSG_CTRUNC) {
    if (*fd_out >= 0) close(*fd_out);
    *fd_out = -1;
    return -EMSGSIZE;
  }
  return (int)r;
}

/* Receives one fd (returned) and up to cap payload bytes (count in *len). */
API int ocisys_recv_fd(int sock, void *payload, int cap, int *len) {
  char dummy;
  int fd;
  int r = recv_one(sock, cap > 0 ? payload : &dummy, cap > 0 ? (size_t)cap : 1, 0, &fd);
  if (r < 0) return r;
  if (len) *len = cap > 0 ? r : 0;
  if (fd < 0) return r == 0 ? -EPIPE : -EBADMSG;
  return fd;
}

API int ocisys_pidfd_open(int pid, unsigned flags) {
  long r = syscall(SYS_pidfd_open, pid, flags);
  return r < 0 ? -errno : (int)r;
}

API int ocisys_pidfd_send_signal(int pidfd, int sig) {
  long r = syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
  return r < 0 ? -errno : 0;
}

API int ocisys_waitpid(int pid, int *status, int options) {
  int r;
  do r = waitpid(pid, status, options);
  while (r < 0 && errno == EINTR);
  return r < 0 ? -errno : r;
}

API int ocisys_set_child_subreaper(int on) {
  return prctl(PR_SET_CHILD_SUBREAPER, on ? 1 : 0, 0, 0, 0) < 0 ? -errno : 0;
}

API int ocisys_close(int fd) { return close(fd) < 0 ? -errno : 0; }

API const char *ocisys_errno_name(int err) { return errno_name(err); }

API const char *ocisys_strerror(int err) { return strerror(err); }

/* A connected AF_UNIX stream pair, close-on-exec (for console sockets and tests). */
API int ocisys_socketpair(int *fds) {
  return socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0 ? -errno : 0;
}

/* One recvmsg on the sync socket for callers that must not lose an fd riding
 * on a message (the "console" op): waits up to timeout_ms (-1: forever) for
 * data, then returns the byte count (0 at EOF) or -errno (-EAGAIN on timeout);
 * *fd_out is the received fd (close-on-exec) or -1. The kernel never merges
 * bytes across a message carrying an fd, so that fd belongs to the first line
 * of the returned bytes. */
API int ocisys_recv_msg(int sock, void *buf, int cap, int *fd_out, int timeout_ms) {
  *fd_out = -1;
  struct pollfd pfd = {sock, POLLIN, 0};
  int p;
  do p = poll(&pfd, 1, timeout_ms);
  while (p < 0 && errno == EINTR);
  if (p < 0) return -errno;
  if (p == 0) return -EAGAIN;
  return recv_one(sock, buf, cap > 0 ? (size_t)cap : 0, MSG_DONTWAIT, fd_out);
}
