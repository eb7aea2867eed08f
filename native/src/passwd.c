/* The home-from-passwd op: HOME for the process from the container's
 * /etc/passwd, as runc 1.1's setupUser sets it (user.GetExecUserPath).
 *
 * The file is opened in the container's root (safety rule 1: a symlinked
 * /etc/passwd never leads out of it) and read as a stream of lines, at most
 * PASSWD_LINE_MAX bytes each and PASSWD_READ_MAX bytes in all, so a hostile
 * image costs bounded memory and time. Line rules (runc's, minus its quirk of
 * reading a non-numeric uid field as 0): surrounding whitespace is trimmed,
 * empty lines and "#" comments are skipped (as glibc does), the first line
 * whose third field is the uid (decimal, optional sign, as Go's Atoi) wins,
 * and its sixth field ("" when missing) is the home directory. */
#define _GNU_SOURCE
#include "oci.h"
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PASSWD_PATH "/etc/passwd"

static int is_space(char ch) { return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\v' || ch == '\f'; }

/* Go's strconv.Atoi on [s, s+n): 1 and *out on success; 0 for anything else (empty, junk, overflow). */
static int parse_id(const char *s, size_t n, int64_t *out) {
  size_t i = 0;
  int neg = 0;
  if (n > 0 && (s[0] == '+' || s[0] == '-')) neg = s[i++] == '-';
  if (i == n) return 0;
  int64_t v = 0;
  for (; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return 0;
    if (v > (INT64_MAX - (s[i] - '0')) / 10) return 0;
    v = v * 10 + (s[i] - '0');
  }
  *out = neg ? -v : v;
  return 1;
}

/* Field idx (0-based, colon-separated) of line[0..len): 1 with f and flen set, or 0 when the line has fewer fields. */
static int field(const char *line, size_t len, unsigned idx, const char **f, size_t *flen) {
  const char *p = line, *end = line + len;
  for (unsigned i = 0; i < idx; i++) {
    const char *colon = memchr(p, ':', (size_t)(end - p));
    if (!colon) return 0;
    p = colon + 1;
  }
  const char *colon = memchr(p, ':', (size_t)(end - p));
  *f = p;
  *flen = (size_t)((colon ? colon : end) - p);
  return 1;
}

int passwd_line_home(const char *line, size_t len, uint32_t uid, const char **home, size_t *home_len) {
  while (len > 0 && is_space(line[0])) line++, len--;
  while (len > 0 && is_space(line[len - 1])) len--;
  if (len == 0 || line[0] == '#') return 0;
  const char *f;
  size_t flen;
  int64_t id;
  if (!field(line, len, 2, &f, &flen) || !parse_id(f, flen, &id) || id != (int64_t)uid) return 0;
  if (!field(line, len, 5, home, home_len)) *home = "", *home_len = 0;
  return 1;
}

/* Scans fd for uid's entry: 0 with *home malloc'd (NULL: no entry), or -1 with g_err set. */
int passwd_home(int fd, uint32_t uid, char **home) {
  static char buf[PASSWD_LINE_MAX];
  size_t fill = 0, total = 0, lineno = 0;
  int eof = 0;
  *home = NULL;
  while (!eof || fill > 0) {
    if (!eof) {
      ssize_t n = read(fd, buf + fill, sizeof buf - fill);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return fail_errno(errno, "unable to find user %u: read %s", uid, PASSWD_PATH);
      if (n == 0) eof = 1;
      fill += (size_t)n;
      total += (size_t)n;
      if (total > PASSWD_READ_MAX)
        return fail_plain(EFBIG, "unable to find user %u: %s is larger than %u MiB", uid, PASSWD_PATH, PASSWD_READ_MAX >> 20);
    }
    size_t start = 0;
    for (;;) {
      char *nl = memchr(buf + start, '\n', fill - start);
      if (!nl && !(eof && start < fill)) break;
      size_t len = (size_t)((nl ? nl : buf + fill) - (buf + start));
      const char *h;
      size_t hlen;
      lineno++;
      if (passwd_line_home(buf + start, len, uid, &h, &hlen)) {
        if (memchr(h, 0, hlen)) return fail_plain(EINVAL, "unable to find user %u: %s line %zu: home directory contains a NUL byte", uid, PASSWD_PATH, lineno);
        *home = strndup(h, hlen);
        return *home ? 0 : fail_errno(ENOMEM, "unable to find user %u", uid);
      }
      start = nl ? (size_t)(nl - buf) + 1 : fill;
    }
    if (start == 0 && fill == sizeof buf)
      return fail_plain(E2BIG, "unable to find user %u: %s line %zu is longer than %u bytes", uid, PASSWD_PATH, lineno + 1, PASSWD_LINE_MAX);
    memmove(buf, buf + start, fill - start);
    fill -= start;
  }
  return 0;
}

/* HOME=<home> into a NULL-terminated environment: the first HOME= entry takes
 * it and later ones go (runc's setenv on its deduplicated environment), or it is appended. */
static int set_home(char ***envp, uint32_t *nenv, const char *home) {
  size_t n = strlen(home);
  char *entry = malloc(n + sizeof "HOME=");
  if (!entry) return fail_errno(ENOMEM, "setenv HOME");
  memcpy(entry, "HOME=", 5);
  memcpy(entry + 5, home, n + 1);
  char **env = *envp;
  uint32_t out = 0;
  int placed = 0;
  for (uint32_t i = 0; i < *nenv; i++) {
    if (strncmp(env[i], "HOME=", 5) != 0) {
      env[out++] = env[i];
    } else if (!placed) {
      free(env[i]);
      env[out++] = entry;
      placed = 1;
    } else {
      free(env[i]);
    }
  }
  if (!placed) {
    char **grown = realloc(env, ((size_t)out + 2) * sizeof *grown);
    if (!grown) {
      free(entry);
      *nenv = out;
      env[out] = NULL;
      return fail_errno(ENOMEM, "setenv HOME");
    }
    *envp = env = grown;
    env[out++] = entry;
  }
  *nenv = out;
  env[out] = NULL;
  return 0;
}

int op_home_from_passwd(struct init_ctx *c, const struct op *o) {
  uint32_t uid = o->u1;
  char *home = NULL;
  /* runc ignores a passwd it cannot open (missing, or here: a link leading out of the root). */
  int fd = open_in_root(c->root_fd, PASSWD_PATH, O_RDONLY | O_NONBLOCK | O_NOCTTY);
  if (fd >= 0) {
    struct stat st;
    int r = 0;
    if (fstat(fd, &st) < 0) r = fail_errno(errno, "fstat %s", PASSWD_PATH);
    else if (S_ISDIR(st.st_mode)) r = fail_plain(EISDIR, "unable to find user %u: read %s: is a directory", uid, PASSWD_PATH);
    else if (S_ISREG(st.st_mode)) r = passwd_home(fd, uid, &home); /* a fifo or device is no passwd file */
    close(fd);
    if (r < 0) return -1;
  }
  struct plan *p = c->plan;
  int r = set_home(&p->env, &p->nenv, home ? home : "/");
  /* Start hooks without their own env inherit the process's (runc runs them from its init). */
  for (uint32_t i = 0; r == 0 && i < o->nhooks; i++) {
    struct op *h = &p->start_hooks[o->hooks[i]]; /* index checked by the decoder */
    r = set_home(&h->envp, &h->nenvp, home ? home : "/");
  }
  free(home);
  return r;
}
