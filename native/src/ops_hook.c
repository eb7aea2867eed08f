/* Ops that need the caller: "sync" (pause on the sync channel until the
 * caller answers, keeping the hook states it sends) and "hook" (run one OCI
 * hook from inside the container's namespaces, as runc reports it). */
#define _GNU_SOURCE
#include "oci.h"
#include "sync_reply.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ── sync ── */

static const char *sync_point_name(uint32_t point) { return point == SYNC_CREATE_RUNTIME ? "createRuntime" : "?"; }

/* Reads one line (without the newline) from the sync socket. Nothing else is
 * sent to us after the plan, so reading in chunks cannot swallow a later message. */
static char *read_line(int fd, size_t *len) {
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  if (!buf) return errno = ENOMEM, NULL;
  for (;;) {
    if (n == cap) {
      if (cap >= SYNC_REPLY_MAX + 1) {
        free(buf);
        return errno = EMSGSIZE, NULL;
      }
      cap *= 2;
      char *next = realloc(buf, cap);
      if (!next) {
        free(buf);
        return errno = ENOMEM, NULL;
      }
      buf = next;
    }
    ssize_t r = read(fd, buf + n, cap - n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      int e = r == 0 ? EPIPE : errno;
      free(buf);
      return errno = e, NULL;
    }
    char *nl = memchr(buf + n, '\n', (size_t)r);
    n += (size_t)r;
    if (nl) {
      if ((size_t)(nl - buf) + 1 != n) { /* the caller wrote more than one reply */
        free(buf);
        return errno = EPROTO, NULL;
      }
      *nl = 0;
      *len = (size_t)(nl - buf);
      return buf;
    }
  }
}

static int op_sync(struct init_ctx *c, const struct op *o) {
  const char *point = sync_point_name(o->u1);
  sync_send_sync(c->sync_fd, point);
  size_t len;
  char *line = read_line(c->sync_fd, &len);
  if (!line) {
    if (errno == EPIPE) return fail_plain(EPIPE, "sync %s: the caller closed the sync channel without answering", point);
    return fail_errno(errno, "sync %s: read the caller's answer", point);
  }
  struct sync_reply reply;
  char err[256];
  int r = sync_reply_parse(line, len, &reply, err, sizeof err);
  free(line);
  if (r < 0) return fail_plain(EPROTO, "sync %s: %s", point, err);
  if (reply.abort) {
    fail_plain(ECANCELED, "%s", reply.message);
    sync_reply_free(&reply);
    return -1;
  }
  for (int i = 0; i < SYNC_STATE_COUNT; i++) {
    if (!reply.states[i]) continue;
    free(c->states[i]);
    c->states[i] = reply.states[i];
    reply.states[i] = NULL;
  }
  sync_reply_free(&reply);
  return 0;
}

/* ── hook ── */

#define HOOK_OUTPUT_LIMIT (64 * 1024)
#define HOOK_OUTPUT_GRACE_MS 100 /* packages/hook OUTPUT_GRACE_MS: a grandchild may hold the pipes */

struct capture {
  char buf[HOOK_OUTPUT_LIMIT];
  size_t kept, dropped;
  int fd;
};

static const char *hook_list_name(uint32_t name) { return name == HOOK_START_CONTAINER ? "startContainer" : "createContainer"; }

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void drain(struct capture *cap) {
  char tmp[4096];
  for (;;) {
    ssize_t r = read(cap->fd, tmp, sizeof tmp);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && errno == EAGAIN) return;
    if (r <= 0) {
      close(cap->fd);
      cap->fd = -1;
      return;
    }
    size_t room = HOOK_OUTPUT_LIMIT - cap->kept, take = (size_t)r < room ? (size_t)r : room;
    memcpy(cap->buf + cap->kept, tmp, take);
    cap->kept += take;
    cap->dropped += (size_t)r - take;
  }
}

/* JSON.stringify's escaping of the captured bytes, with packages/hook's
 * "[… N more bytes]" marker when capped. Escaping can grow a byte to six
 * (binary output), so the escaped text of one stream is held to `budget`
 * bytes and what does not fit is counted in the marker, which always fits. */
static void append_json(char *out, size_t cap, size_t *o, const struct capture *c, size_t budget) {
  size_t limit = *o + budget < cap - 64 ? *o + budget : cap - 64, i = 0;
  out[(*o)++] = '"';
  for (; i < c->kept && *o + 8 < limit; i++) {
    unsigned char ch = (unsigned char)c->buf[i];
    const char *esc = ch == '"' ? "\\\"" : ch == '\\' ? "\\\\" : ch == '\n' ? "\\n" : ch == '\r' ? "\\r"
                    : ch == '\t' ? "\\t" : ch == '\b' ? "\\b" : ch == '\f' ? "\\f" : NULL;
    if (esc) *o += (size_t)snprintf(out + *o, cap - *o, "%s", esc);
    else if (ch < 0x20) *o += (size_t)snprintf(out + *o, cap - *o, "\\u%04x", ch);
    else out[(*o)++] = (char)ch;
  }
  size_t dropped = c->dropped + (c->kept - i);
  if (dropped) *o += (size_t)snprintf(out + *o, cap - *o, "[\xe2\x80\xa6 %zu more bytes]", dropped);
  *o += (size_t)snprintf(out + *o, cap - *o, "\"");
}

static int hook_failed(const struct op *o, int err, const char *how, const struct capture *out, const struct capture *errc, int with_output) {
  size_t n = (size_t)snprintf(g_err.msg, sizeof g_err.msg, "error running %s hook #%u (%.4096s): %s", hook_list_name(o->u1), o->u2, o->s1, how);
  if (with_output) { /* the head is at most ~PATH_MAX: both streams and their markers fit */
    size_t budget = (sizeof g_err.msg - n - 256) / 2;
    n += (size_t)snprintf(g_err.msg + n, sizeof g_err.msg - n, ", stdout: ");
    append_json(g_err.msg, sizeof g_err.msg, &n, out, budget);
    n += (size_t)snprintf(g_err.msg + n, sizeof g_err.msg - n, ", stderr: ");
    append_json(g_err.msg, sizeof g_err.msg, &n, errc, budget);
  }
  g_err.err = err;
  errno = err;
  return -1;
}

static _Noreturn void hook_child(const struct op *o, mode_t mask, int in, int out, int err, int report) {
  setsid(); /* own session and process group: a timeout kills whatever the hook started */
  umask(mask);
  if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) goto fail;
  reset_signals();
  close_range(3, ~0U, CLOSE_RANGE_CLOEXEC); /* the hook gets stdio only (report is close-on-exec) */
  char *fallback[2] = {o->s1, NULL};
  execve(o->s1, o->nargv ? o->argv : fallback, o->envp);
fail:;
  int e = errno;
  if (write(report, &e, sizeof e) < 0) { /* the parent sees a plain exit 127 */ }
  _exit(127);
}

static void close_all(int *fds, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (fds[i] >= 0) close(fds[i]), fds[i] = -1;
}

int run_hook(struct init_ctx *c, const struct op *o) {
  const char *state = c->states[o->u1] ? c->states[o->u1] : "";
  int p[8] = {-1, -1, -1, -1, -1, -1, -1, -1}; /* stdin, stdout, stderr, exec report: [read, write] each */
  for (int i = 0; i < 4; i++)
    if (pipe2(p + 2 * i, O_CLOEXEC) < 0) {
      int e = errno;
      close_all(p, 8);
      return fail_errno(e, "%s hook #%u (%s): pipe", hook_list_name(o->u1), o->u2, o->s1);
    }
  static struct capture out, err; /* 128 KiB: static, never on the waiting init's stack */
  out.kept = out.dropped = err.kept = err.dropped = 0;
  pid_t pid = fork();
  if (pid < 0) {
    int e = errno;
    close_all(p, 8);
    return fail_errno(e, "%s hook #%u (%s): fork", hook_list_name(o->u1), o->u2, o->s1);
  }
  if (pid == 0) hook_child(o, c->hook_umask, p[0], p[3], p[5], p[7]);
  close(p[0]), close(p[3]), close(p[5]), close(p[7]);
  int in = p[1], report = p[6];
  out.fd = p[2];
  err.fd = p[4];
  fcntl(in, F_SETFL, O_NONBLOCK);
  fcntl(out.fd, F_SETFL, O_NONBLOCK);
  fcntl(err.fd, F_SETFL, O_NONBLOCK);
  int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  size_t state_len = strlen(state), written = 0;
  if (state_len == 0) close(in), in = -1;
  long long deadline = o->u3 ? now_ms() + (long long)o->u3 * 1000 : -1, grace_end = -1;
  int exited = 0, timed_out = 0, status = 0;
  while (out.fd >= 0 || err.fd >= 0 || !exited) {
    if (!exited) {
      pid_t w = waitpid(pid, &status, WNOHANG);
      if (w == pid) {
        exited = 1;
        grace_end = now_ms() + HOOK_OUTPUT_GRACE_MS;
        if (in >= 0) close(in), in = -1;
      }
    }
    /* Both pipes already at EOF: no output can still come, skip the grace wait. */
    if (exited && out.fd < 0 && err.fd < 0) break;
    long long now = now_ms();
    if (exited && now >= grace_end) break;
    if (!exited && deadline >= 0 && now >= deadline) { /* SIGKILL the process group, then the hook itself */
      kill(-pid, SIGKILL);
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      exited = timed_out = 1;
      grace_end = now + HOOK_OUTPUT_GRACE_MS;
      if (in >= 0) close(in), in = -1;
      continue;
    }
    struct pollfd fds[4];
    int nfds = 0;
    if (in >= 0) fds[nfds++] = (struct pollfd){in, POLLOUT, 0};
    if (out.fd >= 0) fds[nfds++] = (struct pollfd){out.fd, POLLIN, 0};
    if (err.fd >= 0) fds[nfds++] = (struct pollfd){err.fd, POLLIN, 0};
    if (!exited && pidfd >= 0) fds[nfds++] = (struct pollfd){pidfd, POLLIN, 0};
    long long wait = exited ? grace_end - now : deadline >= 0 ? deadline - now : -1;
    if (!exited && pidfd < 0 && (wait < 0 || wait > 10)) wait = 10; /* no pidfd: poll waitpid */
    int r = poll(fds, (nfds_t)nfds, (int)(wait > 60000 ? 60000 : wait));
    if (r < 0 && errno != EINTR) break;
    if (r <= 0) continue;
    for (int i = 0; i < nfds; i++) {
      if (!fds[i].revents) continue;
      if (fds[i].fd == in) {
        ssize_t w = write(in, state + written, state_len - written);
        if (w > 0) written += (size_t)w;
        /* EPIPE (SIGPIPE is ignored in stage 1): a hook that does not read stdin is fine */
        if ((w < 0 && errno != EAGAIN && errno != EINTR) || written == state_len) close(in), in = -1;
      } else if (fds[i].fd == out.fd) {
        drain(&out);
      } else if (fds[i].fd == err.fd) {
        drain(&err);
      }
    }
  }
  if (!exited) waitpid(pid, &status, 0);
  /* In a new pid namespace we are its init: the hook's orphans (killed on a
   * timeout, or left behind) are ours to reap, not the container process's. */
  while (waitpid(-1, NULL, WNOHANG) > 0) {}
  int exec_errno = 0;
  ssize_t got = read(report, &exec_errno, sizeof exec_errno);
  int fds_left[5] = {in, out.fd, err.fd, report, pidfd};
  close_all(fds_left, 5);
  char how[256];
  if (timed_out) {
    snprintf(how, sizeof how, "hook ran past specified timeout of %u.0s", o->u3);
    return hook_failed(o, ETIMEDOUT, how, &out, &err, out.kept || err.kept || out.dropped || err.dropped);
  }
  if (got == (ssize_t)sizeof exec_errno) {
    char reason[128];
    snprintf(reason, sizeof reason, "%s", strerror(exec_errno));
    if (reason[0] >= 'A' && reason[0] <= 'Z') reason[0] = (char)(reason[0] - 'A' + 'a'); /* Go's wording */
    snprintf(how, sizeof how, "exec %.100s: %s", o->s1, reason);
    return hook_failed(o, exec_errno, how, &out, &err, 0);
  }
  if (WIFSIGNALED(status)) {
    const char *abbrev = sigabbrev_np(WTERMSIG(status));
    snprintf(how, sizeof how, "killed by signal SIG%s", abbrev ? abbrev : "UNKNOWN");
    return hook_failed(o, EINTR, how, &out, &err, 1);
  }
  if (WEXITSTATUS(status) != 0) {
    snprintf(how, sizeof how, "exit status %d", WEXITSTATUS(status));
    return hook_failed(o, ECHILD, how, &out, &err, 1);
  }
  return 0;
}

int ops_caller(struct init_ctx *c, const struct op *o) {
  switch (o->kind) {
  case OP_SYNC: return op_sync(c, o);
  case OP_HOOK: return run_hook(c, o);
  default: return fail_errno(EINVAL, "%s is not a sync or hook op", op_name_of(o->kind));
  }
}
