/* A small strict JSON reader for exactly one shape: the caller's reply to a
 * sync point (see sync_reply.h). Strings are decoded (escapes, surrogate
 * pairs) into NUL-free C strings; values of members we do not know are
 * skipped with a depth limit. Fuzzed by src/fuzz_reply.c. */
#define _GNU_SOURCE
#include "sync_reply.h"
#include "plan.h"
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64

struct jr {
  const char *s;
  size_t len, pos;
  char *err;
  size_t errlen;
  int failed;
};

static void jfail(struct jr *r, const char *fmt, ...) {
  if (r->failed) return;
  r->failed = 1;
  int n = snprintf(r->err, r->errlen, "sync reply offset %zu: ", r->pos);
  if (n < 0 || (size_t)n >= r->errlen) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r->err + n, r->errlen - (size_t)n, fmt, ap);
  va_end(ap);
}

static void ws(struct jr *r) {
  while (r->pos < r->len && (r->s[r->pos] == ' ' || r->s[r->pos] == '\t' || r->s[r->pos] == '\n' || r->s[r->pos] == '\r')) r->pos++;
}

static int peek(struct jr *r) { return r->pos < r->len ? (unsigned char)r->s[r->pos] : -1; }

static int expect(struct jr *r, char ch) {
  ws(r);
  if (peek(r) != (unsigned char)ch) {
    jfail(r, "expected '%c'", ch);
    return -1;
  }
  r->pos++;
  return 0;
}

static int hex4(struct jr *r, uint32_t *out) {
  if (r->len - r->pos < 4) return -1;
  uint32_t v = 0;
  for (int i = 0; i < 4; i++) {
    char ch = r->s[r->pos++];
    v <<= 4;
    if (ch >= '0' && ch <= '9') v |= (uint32_t)(ch - '0');
    else if (ch >= 'a' && ch <= 'f') v |= (uint32_t)(ch - 'a' + 10);
    else if (ch >= 'A' && ch <= 'F') v |= (uint32_t)(ch - 'A' + 10);
    else return -1;
  }
  *out = v;
  return 0;
}

static size_t put_utf8(char *o, uint32_t cp) {
  if (cp < 0x80) { o[0] = (char)cp; return 1; }
  if (cp < 0x800) { o[0] = (char)(0xc0 | cp >> 6); o[1] = (char)(0x80 | (cp & 0x3f)); return 2; }
  if (cp < 0x10000) {
    o[0] = (char)(0xe0 | cp >> 12); o[1] = (char)(0x80 | (cp >> 6 & 0x3f)); o[2] = (char)(0x80 | (cp & 0x3f));
    return 3;
  }
  o[0] = (char)(0xf0 | cp >> 18); o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
  o[2] = (char)(0x80 | (cp >> 6 & 0x3f)); o[3] = (char)(0x80 | (cp & 0x3f));
  return 4;
}

/* Reads a string; returns it decoded (malloc'd) when keep, else NULL. The
 * decoded form is never longer than the escaped one, so one allocation of
 * the remaining input bounds it. */
static char *str(struct jr *r, int keep) {
  ws(r);
  if (peek(r) != '"') {
    jfail(r, "expected a string");
    return NULL;
  }
  r->pos++;
  size_t start = r->pos, end = start;
  while (end < r->len && r->s[end] != '"') end += r->s[end] == '\\' ? 2 : 1;
  if (end >= r->len) {
    jfail(r, "unterminated string");
    return NULL;
  }
  char *out = keep ? malloc(end - start + 1) : NULL;
  if (keep && !out) {
    jfail(r, "out of memory");
    return NULL;
  }
  size_t o = 0;
  char tmp[4];
  while (!r->failed && r->pos < end) {
    unsigned char ch = (unsigned char)r->s[r->pos++];
    size_t n = 1;
    tmp[0] = (char)ch;
    if (ch < 0x20) {
      jfail(r, "control character in string");
      break;
    }
    if (ch == '\\') {
      char e = r->s[r->pos++];
      switch (e) {
      case '"': case '\\': case '/': tmp[0] = e; break;
      case 'b': tmp[0] = '\b'; break;
      case 'f': tmp[0] = '\f'; break;
      case 'n': tmp[0] = '\n'; break;
      case 'r': tmp[0] = '\r'; break;
      case 't': tmp[0] = '\t'; break;
      case 'u': {
        uint32_t cp, lo;
        if (hex4(r, &cp) < 0) {
          jfail(r, "bad \\u escape");
          break;
        }
        if (cp >= 0xd800 && cp < 0xdc00 && r->len - r->pos >= 6 && r->s[r->pos] == '\\' && r->s[r->pos + 1] == 'u') {
          size_t save = r->pos;
          r->pos += 2;
          if (hex4(r, &lo) == 0 && lo >= 0xdc00 && lo < 0xe000) cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
          else r->pos = save;
        }
        if (cp >= 0xd800 && cp < 0xe000) cp = 0xfffd; /* a lone surrogate (JSON.stringify writes them escaped) */
        if (cp == 0) {
          jfail(r, "NUL in string");
          break;
        }
        n = put_utf8(tmp, cp);
        break;
      }
      default:
        jfail(r, "bad escape");
      }
    }
    if (r->pos > end) jfail(r, "escape runs past the string");
    if (out && !r->failed) {
      memcpy(out + o, tmp, n);
      o += n;
    }
  }
  r->pos = end + 1;
  if (r->failed) {
    free(out);
    return NULL;
  }
  if (out) out[o] = 0;
  return out;
}

static void skip_value(struct jr *r, int depth);

static void skip_container(struct jr *r, int depth, char close) {
  if (depth > MAX_DEPTH) {
    jfail(r, "nested too deeply");
    return;
  }
  r->pos++;
  ws(r);
  if (peek(r) == close) {
    r->pos++;
    return;
  }
  for (;;) {
    if (close == '}') {
      str(r, 0);
      if (expect(r, ':') < 0) return;
    }
    skip_value(r, depth + 1);
    if (r->failed) return;
    ws(r);
    int ch = peek(r);
    r->pos++;
    if (ch == close) return;
    if (ch != ',') {
      r->pos--;
      jfail(r, "expected ',' or '%c'", close);
      return;
    }
  }
}

static int literal(struct jr *r, const char *word) {
  size_t n = strlen(word);
  if (r->len - r->pos < n || memcmp(r->s + r->pos, word, n)) return -1;
  r->pos += n;
  return 0;
}

static void skip_value(struct jr *r, int depth) {
  ws(r);
  int ch = peek(r);
  if (ch == '"') str(r, 0);
  else if (ch == '{') skip_container(r, depth, '}');
  else if (ch == '[') skip_container(r, depth, ']');
  else if (ch == 't' || ch == 'f' || ch == 'n') {
    if (literal(r, "true") && literal(r, "false") && literal(r, "null")) jfail(r, "bad literal");
  } else if (ch == '-' || (ch >= '0' && ch <= '9')) {
    size_t start = r->pos;
    while (r->pos < r->len && strchr("+-0123456789.eE", r->s[r->pos])) r->pos++;
    if (r->pos == start) jfail(r, "bad number");
  } else jfail(r, "expected a value");
}

/* Calls member(key, r, ctx) for each member of an object; member must consume the value. */
static void object(struct jr *r, void (*member)(struct jr *, const char *, void *), void *ctx) {
  if (expect(r, '{') < 0) return;
  ws(r);
  if (peek(r) == '}') {
    r->pos++;
    return;
  }
  for (;;) {
    char *key = str(r, 1);
    if (!key) return;
    if (expect(r, ':') == 0) member(r, key, ctx);
    free(key);
    if (r->failed) return;
    ws(r);
    int ch = peek(r);
    if (ch == '}') {
      r->pos++;
      return;
    }
    if (ch != ',') {
      jfail(r, "expected ',' or '}'");
      return;
    }
    r->pos++;
  }
}

static void set_str(struct jr *r, char **slot) {
  char *s = str(r, 1);
  if (!s) return;
  free(*slot);
  *slot = s;
}

static void state_member(struct jr *r, const char *key, void *ctx) {
  struct sync_reply *out = ctx;
  if (!strcmp(key, "createContainer")) set_str(r, &out->states[HOOK_CREATE_CONTAINER]);
  else if (!strcmp(key, "startContainer")) set_str(r, &out->states[HOOK_START_CONTAINER]);
  else skip_value(r, 1);
}

struct top { struct sync_reply *out; char *type; };

static void top_member(struct jr *r, const char *key, void *ctx) {
  struct top *t = ctx;
  if (!strcmp(key, "type")) set_str(r, &t->type);
  else if (!strcmp(key, "message")) set_str(r, &t->out->message);
  else if (!strcmp(key, "states")) {
    ws(r);
    if (literal(r, "null") == 0) return;
    object(r, state_member, t->out);
  } else skip_value(r, 1);
}

void sync_reply_free(struct sync_reply *r) {
  free(r->message);
  for (int i = 0; i < SYNC_STATE_COUNT; i++) free(r->states[i]);
  memset(r, 0, sizeof *r);
}

int sync_reply_parse(const char *buf, size_t len, struct sync_reply *out, char *err, size_t errlen) {
  struct jr r = {buf, len, 0, err, errlen, 0};
  struct top t = {out, NULL};
  memset(out, 0, sizeof *out);
  if (len > SYNC_REPLY_MAX) jfail(&r, "reply of %zu bytes is too long", len);
  else object(&r, top_member, &t);
  ws(&r);
  if (!r.failed && r.pos != r.len) jfail(&r, "trailing data after the reply");
  if (!r.failed && !t.type) jfail(&r, "no \"type\"");
  if (!r.failed && !strcmp(t.type, "abort")) out->abort = 1;
  else if (!r.failed && strcmp(t.type, "continue")) jfail(&r, "unknown reply type \"%.32s\"", t.type);
  free(t.type);
  if (!r.failed && !out->message) out->message = strdup("");
  if (!r.failed && !out->message) jfail(&r, "out of memory");
  if (r.failed) {
    sync_reply_free(out);
    return -1;
  }
  return 0;
}
