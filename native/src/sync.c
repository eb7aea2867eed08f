/* The sync channel: the framed plan in, JSON lines out (see types.ts header). */
#define _GNU_SOURCE
#include "oci.h"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct oci_error g_err;

int fail_errno(int err, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(g_err.msg, sizeof g_err.msg, fmt, ap);
  va_end(ap);
  if (n >= 0 && (size_t)n < sizeof g_err.msg)
    snprintf(g_err.msg + n, sizeof g_err.msg - (size_t)n, ": %s", strerror(err));
  g_err.err = err;
  errno = err;
  return -1;
}

int fail_plain(int err, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(g_err.msg, sizeof g_err.msg, fmt, ap);
  va_end(ap);
  g_err.err = err;
  errno = err;
  return -1;
}

const char *errno_name(int err) {
  const char *n = strerrorname_np(err);
  return n ? n : "EUNKNOWN";
}

static int read_full(int fd, void *buf, size_t len) {
  size_t got = 0;
  while (got < len) {
    ssize_t r = read(fd, (char *)buf + got, len - got);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return -1;
    if (r == 0) {
      errno = EPIPE;
      return -1;
    }
    got += (size_t)r;
  }
  return 0;
}

int sync_read_plan(int fd, uint8_t **buf, size_t *len) {
  uint8_t hdr[4];
  if (read_full(fd, hdr, 4) < 0) return fail_errno(errno, "read plan length from sync fd %d", fd);
  uint32_t n = (uint32_t)hdr[0] | (uint32_t)hdr[1] << 8 | (uint32_t)hdr[2] << 16 | (uint32_t)hdr[3] << 24;
  if (n > PLAN_MAX_BYTES) return fail_errno(EFBIG, "plan of %u bytes", n);
  *buf = malloc(n ? n : 1);
  if (!*buf) return fail_errno(ENOMEM, "plan buffer");
  if (read_full(fd, *buf, n) < 0) {
    free(*buf);
    return fail_errno(errno, "read plan of %u bytes", n);
  }
  *len = n;
  return 0;
}

/* One message, one send(): MSG_NOSIGNAL because the reader may be gone. */
static void send_line(int fd, const char *s, size_t n) {
  while (n > 0) {
    ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno == ENOTSOCK) w = write(fd, s, n);
    if (w <= 0) return;
    s += w;
    n -= (size_t)w;
  }
}

void sync_send_pid(int fd, pid_t pid) {
  char buf[64];
  int n = snprintf(buf, sizeof buf, "{\"type\":\"pid\",\"pid\":%d}\n", (int)pid);
  send_line(fd, buf, (size_t)n);
}

void sync_send_ready(int fd) {
  static const char msg[] = "{\"type\":\"ready\"}\n";
  send_line(fd, msg, sizeof msg - 1);
}

void sync_send_sync(int fd, const char *point) {
  char buf[128];
  int n = snprintf(buf, sizeof buf, "{\"type\":\"sync\",\"point\":\"%s\"}\n", point);
  send_line(fd, buf, (size_t)n);
}

int send_fd(int sock, int fd, const void *payload, size_t len) {
  struct iovec iov = {(void *)payload, len};
  union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } u;
  memset(&u, 0, sizeof u);
  struct msghdr msg = {0};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = u.buf;
  msg.msg_controllen = sizeof u.buf;
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &fd, sizeof fd);
  ssize_t r;
  do r = sendmsg(sock, &msg, MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  if (r >= 0 && (size_t)r != len) { /* a partial send would split the line from its fd */
    errno = EMSGSIZE;
    return -1;
  }
  return r < 0 ? -1 : 0;
}

/* Appends s as a JSON string body (without quotes), escaping what JSON requires. */
static size_t json_escape(char *out, size_t cap, const char *s) {
  size_t o = 0;
  for (; *s && o + 7 < cap; s++) {
    unsigned char ch = (unsigned char)*s;
    if (ch == '"' || ch == '\\') {
      out[o++] = '\\';
      out[o++] = (char)ch;
    } else if (ch < 0x20) {
      o += (size_t)snprintf(out + o, cap - o, "\\u%04x", ch);
    } else {
      out[o++] = (char)ch;
    }
  }
  out[o] = 0;
  return o;
}

void sync_send_error(int fd, long op_index, const char *op_name, int err, const char *message) {
  /* Escaping grows a byte to at most 6; hook errors carry up to 2 × 64 KiB of output. */
  size_t esc_cap = strlen(message) * 6 + 8, cap = esc_cap + 256;
  char *esc = malloc(esc_cap), *buf = malloc(cap), name[64];
  if (!esc || !buf) {
    free(esc);
    free(buf);
    static const char oom[] = "{\"type\":\"error\",\"op\":-1,\"opName\":\"init\",\"errno\":\"ENOMEM\",\"message\":\"out of memory reporting an error\"}\n";
    send_line(fd, oom, sizeof oom - 1);
    return;
  }
  json_escape(esc, esc_cap, message);
  json_escape(name, sizeof name, op_name);
  int n = snprintf(buf, cap,
                   "{\"type\":\"error\",\"op\":%ld,\"opName\":\"%s\",\"errno\":\"%s\",\"message\":\"%s\"}\n",
                   op_index, name, errno_name(err), esc);
  if (n > 0) send_line(fd, buf, (size_t)n < cap ? (size_t)n : cap - 1);
  free(esc);
  free(buf);
}
