/* Decoder for the Plan byte format (native/PLAN-FORMAT.md). Every read is
 * bounds-checked; any malformed input yields an error, never a crash. */
#define _GNU_SOURCE
#include "plan.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_STR (1u << 20)
#define MAX_LIST 65536u

struct reader {
  const uint8_t *buf;
  size_t len, pos;
  char *err;
  size_t errlen;
  int failed;
};

static void fail(struct reader *r, const char *fmt, ...) {
  if (r->failed) return;
  r->failed = 1;
  int n = snprintf(r->err, r->errlen, "plan offset %zu: ", r->pos);
  if (n < 0 || (size_t)n >= r->errlen) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r->err + n, r->errlen - (size_t)n, fmt, ap);
  va_end(ap);
}

static const uint8_t *take(struct reader *r, size_t n, const char *what) {
  if (r->failed) return NULL;
  if (n > r->len - r->pos) {
    fail(r, "truncated %s", what);
    return NULL;
  }
  const uint8_t *p = r->buf + r->pos;
  r->pos += n;
  return p;
}

static uint64_t rd_le(struct reader *r, size_t n, const char *what) {
  const uint8_t *p = take(r, n, what);
  uint64_t v = 0;
  if (!p) return 0;
  for (size_t i = 0; i < n; i++) v |= (uint64_t)p[i] << (8 * i);
  return v;
}

static uint8_t rd_u8(struct reader *r, const char *w) { return (uint8_t)rd_le(r, 1, w); }
static uint16_t rd_u16(struct reader *r, const char *w) { return (uint16_t)rd_le(r, 2, w); }
static uint32_t rd_u32(struct reader *r, const char *w) { return (uint32_t)rd_le(r, 4, w); }
static uint64_t rd_u64(struct reader *r, const char *w) { return rd_le(r, 8, w); }
static int32_t rd_i32(struct reader *r, const char *w) {
  uint32_t u = rd_u32(r, w);
  int32_t v;
  memcpy(&v, &u, sizeof v);
  return v;
}
static int64_t rd_i64(struct reader *r, const char *w) {
  uint64_t u = rd_u64(r, w);
  int64_t v;
  memcpy(&v, &u, sizeof v);
  return v;
}

static int rd_bool(struct reader *r, const char *w) {
  uint8_t b = rd_u8(r, w);
  if (b > 1) fail(r, "%s: bool is %u", w, b);
  return b;
}

static uint32_t rd_count(struct reader *r, uint32_t max, const char *w) {
  uint32_t n = rd_u32(r, w);
  if (n > max) fail(r, "%s: count %u exceeds %u", w, n, max);
  /* Every element takes at least one byte: a cheap bound against huge allocations. */
  if (!r->failed && n > r->len - r->pos) fail(r, "%s: count %u exceeds input", w, n);
  return r->failed ? 0 : n;
}

static char *rd_str(struct reader *r, const char *w) {
  uint32_t n = rd_u32(r, w);
  if (r->failed) return NULL;
  if (n > MAX_STR) {
    fail(r, "%s: string of %u bytes", w, n);
    return NULL;
  }
  const uint8_t *p = take(r, n, w);
  if (!p) return NULL;
  if (memchr(p, 0, n)) {
    fail(r, "%s: NUL inside string", w);
    return NULL;
  }
  char *s = malloc((size_t)n + 1);
  if (!s) {
    fail(r, "%s: out of memory", w);
    return NULL;
  }
  memcpy(s, p, n);
  s[n] = 0;
  return s;
}

static char **rd_strs(struct reader *r, uint32_t *count, const char *w) {
  uint32_t n = rd_count(r, MAX_LIST, w);
  char **v = calloc((size_t)n + 1, sizeof *v);
  *count = 0;
  if (!v) {
    fail(r, "%s: out of memory", w);
    return NULL;
  }
  for (uint32_t i = 0; i < n && !r->failed; i++) {
    v[i] = rd_str(r, w);
    if (v[i]) *count = i + 1;
  }
  return v;
}

static void *alloc_array(struct reader *r, uint32_t n, size_t size, const char *w) {
  void *p = calloc(n ? n : 1, size);
  if (!p) fail(r, "%s: out of memory", w);
  return p;
}

static const uint32_t NS_ALL = 0x00020000 | 0x04000000 | 0x08000000 | 0x10000000 |
                               0x20000000 | 0x40000000 | 0x02000000 | 0x00000080;

static int single_ns_flag(uint32_t f) { return f && (f & (f - 1)) == 0 && (f & ~NS_ALL) == 0; }

static void rd_idmaps(struct reader *r, struct id_map **out, uint32_t *n, const char *w) {
  *n = rd_count(r, 340, w);
  *out = alloc_array(r, *n, sizeof **out, w);
  for (uint32_t i = 0; *out && i < *n && !r->failed; i++) {
    (*out)[i].container_id = rd_u32(r, w);
    (*out)[i].host_id = rd_u32(r, w);
    (*out)[i].size = rd_u32(r, w);
  }
}

static void rd_time(struct reader *r, struct time_offset *t, const char *w) {
  t->present = rd_bool(r, w);
  if (!t->present) return;
  t->secs = rd_i64(r, w);
  t->nsecs = rd_u32(r, w);
  if (t->nsecs >= 1000000000u) fail(r, "%s: nanoseconds %u out of range", w, t->nsecs);
}

static void rd_op_payload(struct reader *r, struct op *o) {
  switch (o->kind) {
  case OP_SETHOSTNAME: case OP_SETDOMAINNAME: case OP_BIND_ROOTFS: case OP_MASK_PATH:
  case OP_READONLY_PATH: case OP_CHDIR: case OP_APPARMOR: case OP_SELINUX_LABEL:
    o->s1 = rd_str(r, "op string");
    break;
  case OP_PROPAGATE:
    o->s1 = rd_str(r, "propagate target");
    o->flags = rd_u32(r, "propagate flags");
    break;
  case OP_MOUNT:
    o->s1 = rd_str(r, "mount source");
    o->s2 = rd_str(r, "mount target");
    o->s3 = rd_str(r, "mount fstype");
    o->flags = rd_u32(r, "mount flags");
    o->s4 = rd_str(r, "mount data");
    o->create = rd_u8(r, "mount create");
    if (o->create > CREATE_FILE) fail(r, "mount create kind %u", o->create);
    o->has_remount = (uint8_t)rd_bool(r, "mount hasRemount");
    o->remount_flags = rd_u32(r, "mount remountFlags");
    o->has_propagation = (uint8_t)rd_bool(r, "mount hasPropagation");
    o->propagation = rd_u32(r, "mount propagation");
    break;
  case OP_MKDIR:
    o->s1 = rd_str(r, "mkdir path");
    o->u1 = rd_u32(r, "mkdir mode");
    if (o->u1 > 07777) fail(r, "mkdir mode %o", o->u1);
    break;
  case OP_SYMLINK: case OP_SYSCTL: case OP_BIND_DEVICE:
    o->s1 = rd_str(r, "op string 1");
    o->s2 = rd_str(r, "op string 2");
    break;
  case OP_MKNOD:
    o->s1 = rd_str(r, "mknod path");
    o->node_kind = rd_u8(r, "mknod kind");
    if (o->node_kind != 'c' && o->node_kind != 'b' && o->node_kind != 'p') fail(r, "mknod kind %u", o->node_kind);
    o->u1 = rd_u32(r, "mknod major");
    o->u2 = rd_u32(r, "mknod minor");
    o->u3 = rd_u32(r, "mknod mode");
    if (o->u3 > 07777) fail(r, "mknod mode %o", o->u3);
    o->u4 = rd_u32(r, "mknod uid");
    o->u5 = rd_u32(r, "mknod gid");
    break;
  case OP_PIVOT_ROOT: case OP_CHROOT: case OP_READONLY_ROOT: case OP_NO_NEW_PRIVS:
    break;
  case OP_OOM_SCORE_ADJ: case OP_IOPRIO:
    o->i1 = rd_i32(r, "op int");
    break;
  case OP_RLIMIT:
    o->u1 = rd_u32(r, "rlimit resource");
    o->s1 = rd_str(r, "rlimit name");
    o->q[0] = rd_u64(r, "rlimit soft");
    o->q[1] = rd_u64(r, "rlimit hard");
    break;
  case OP_UMASK: case OP_PERSONALITY:
    o->u1 = rd_u32(r, "op u32");
    break;
  case OP_SCHEDULER:
    o->u1 = rd_u32(r, "scheduler policy");
    o->i1 = rd_i32(r, "scheduler nice");
    o->u2 = rd_u32(r, "scheduler priority");
    for (int i = 0; i < 4; i++) o->q[i] = rd_u64(r, "scheduler u64");
    break;
  case OP_IDENTITY:
    o->u1 = rd_u32(r, "identity uid");
    o->u2 = rd_u32(r, "identity gid");
    o->ngids = rd_count(r, MAX_LIST, "identity additionalGids");
    o->gids = alloc_array(r, o->ngids, sizeof *o->gids, "identity additionalGids");
    for (uint32_t i = 0; o->gids && i < o->ngids && !r->failed; i++) o->gids[i] = rd_u32(r, "gid");
    for (int i = 0; i < 5; i++) o->q[i] = rd_u64(r, "identity caps");
    break;
  case OP_SYNC:
    o->u1 = rd_u8(r, "sync point");
    if (!r->failed && o->u1 != SYNC_CREATE_RUNTIME) fail(r, "sync point %u", o->u1);
    break;
  case OP_HOOK:
    o->u1 = rd_u8(r, "hook name");
    if (!r->failed && o->u1 > HOOK_START_CONTAINER) fail(r, "hook name %u", o->u1);
    o->u2 = rd_u32(r, "hook index");
    o->s1 = rd_str(r, "hook path");
    if (o->s1 && o->s1[0] != '/') fail(r, "hook path is not absolute");
    o->argv = rd_strs(r, &o->nargv, "hook args");
    o->envp = rd_strs(r, &o->nenvp, "hook env");
    o->u3 = rd_u32(r, "hook timeout");
    break;
  case OP_HOME_FROM_PASSWD:
    o->u1 = rd_u32(r, "home-from-passwd uid");
    o->nhooks = rd_count(r, MAX_START_HOOKS, "home-from-passwd startHooks");
    o->hooks = alloc_array(r, o->nhooks, sizeof *o->hooks, "home-from-passwd startHooks");
    for (uint32_t i = 0; o->hooks && i < o->nhooks && !r->failed; i++) o->hooks[i] = rd_u32(r, "start hook index");
    break;
  case OP_CONSOLE:
    o->u1 = rd_u16(r, "console rows");
    o->u2 = rd_u16(r, "console cols");
    o->u3 = (uint32_t)rd_bool(r, "console mountConsole");
    break;
  case OP_SECCOMP: {
    uint32_t n = rd_u32(r, "seccomp filter");
    if (!r->failed && (n == 0 || n % 8 || n > 4096 * 8)) fail(r, "seccomp filter of %u bytes", n);
    const uint8_t *p = take(r, n, "seccomp filter");
    if (p) {
      o->filter = malloc(n);
      if (!o->filter) fail(r, "seccomp filter: out of memory");
      else {
        memcpy(o->filter, p, n);
        o->filter_len = n;
      }
    }
    o->flags = rd_u32(r, "seccomp flags");
    break;
  }
  }
}

static void rd_op(struct reader *r, struct op *o) {
  uint16_t kind = rd_u16(r, "op kind");
  uint32_t len = rd_u32(r, "op length");
  if (r->failed) return;
  if (kind < 1 || kind > OP_KIND_MAX) {
    fail(r, "unknown op kind %u", kind);
    return;
  }
  if (len > r->len - r->pos) {
    fail(r, "op payload of %u bytes exceeds input", len);
    return;
  }
  o->kind = (enum op_kind)kind;
  /* Decode the payload within its envelope: a sub-reader limited to len bytes. */
  struct reader sub = {r->buf, r->pos + len, r->pos, r->err, r->errlen, 0};
  rd_op_payload(&sub, o);
  if (!sub.failed && sub.pos != sub.len) fail(&sub, "%s payload has %zu trailing bytes", op_name_of(o->kind), sub.len - sub.pos);
  r->pos += len;
  r->failed = sub.failed;
}

int plan_decode(const uint8_t *buf, size_t len, struct plan *p, char *err, size_t errlen) {
  struct reader r = {buf, len, 0, err, errlen, 0};
  memset(p, 0, sizeof *p);
  if (len > PLAN_MAX_BYTES) fail(&r, "plan of %zu bytes is too large", len);
  const uint8_t *magic = take(&r, 4, "magic");
  if (magic && memcmp(magic, "OCIP", 4) != 0) fail(&r, "bad magic");
  uint32_t version = rd_u32(&r, "version");
  if (!r.failed && version != 2) fail(&r, "unsupported plan version %u (this oci-init reads version 2)", version);
  p->container_id = rd_str(&r, "containerId");
  uint8_t stage0 = rd_u8(&r, "stage0");
  if (stage0 > 1) fail(&r, "stage0 mode %u", stage0);
  p->stage0_wait = stage0 == 1;
  p->cgroup_procs = rd_strs(&r, &p->ncgroup_procs, "cgroupProcs");

  uint32_t njoins = rd_count(&r, 16, "namespaces.join");
  p->joins = alloc_array(&r, njoins, sizeof *p->joins, "namespaces.join");
  for (uint32_t i = 0; p->joins && i < njoins && !r.failed; i++) {
    p->joins[i].type = rd_u32(&r, "join type");
    if (!r.failed && !single_ns_flag(p->joins[i].type)) fail(&r, "join type 0x%x", p->joins[i].type);
    p->joins[i].path = rd_str(&r, "join path");
    p->njoins = i + 1;
  }
  p->create_flags = rd_u32(&r, "namespaces.create");
  if (!r.failed && (p->create_flags & ~NS_ALL)) fail(&r, "namespaces.create 0x%x", p->create_flags);
  p->has_idmaps = rd_bool(&r, "hasIdMappings");
  if (p->has_idmaps) {
    rd_idmaps(&r, &p->uid_maps, &p->nuid_maps, "uid mappings");
    rd_idmaps(&r, &p->gid_maps, &p->ngid_maps, "gid mappings");
    uint8_t sg = rd_u8(&r, "setgroups");
    if (sg > 1) fail(&r, "setgroups %u", sg);
    p->setgroups_allow = sg;
  }
  p->has_time = rd_bool(&r, "hasTimeOffsets");
  if (p->has_time) {
    rd_time(&r, &p->monotonic, "monotonic offset");
    rd_time(&r, &p->boottime, "boottime offset");
  }

  uint32_t nops = rd_count(&r, MAX_LIST, "ops");
  p->ops = alloc_array(&r, nops, sizeof *p->ops, "ops");
  for (uint32_t i = 0; p->ops && i < nops && !r.failed; i++) {
    p->nops = i + 1;
    rd_op(&r, &p->ops[i]);
  }

  p->args = rd_strs(&r, &p->nargs, "process.args");
  if (!r.failed && p->nargs == 0) fail(&r, "process.args is empty");
  p->env = rd_strs(&r, &p->nenv, "process.env");
  p->preserve_fds = rd_u32(&r, "process.preserveFds");
  if (!r.failed && p->preserve_fds > MAX_LIST) fail(&r, "preserveFds %u", p->preserve_fds);
  if (rd_bool(&r, "hasExecFifo")) p->exec_fifo = rd_str(&r, "process.execFifo");
  uint32_t nhooks = rd_count(&r, MAX_START_HOOKS, "process.startHooks");
  p->start_hooks = alloc_array(&r, nhooks, sizeof *p->start_hooks, "process.startHooks");
  for (uint32_t i = 0; p->start_hooks && i < nhooks && !r.failed; i++) {
    p->nstart_hooks = i + 1;
    rd_op(&r, &p->start_hooks[i]);
    if (!r.failed && (p->start_hooks[i].kind != OP_HOOK || p->start_hooks[i].u1 != HOOK_START_CONTAINER))
      fail(&r, "process.startHooks[%u] is not a startContainer hook", i);
  }
  if (!r.failed && r.pos != r.len) fail(&r, "%zu trailing bytes", r.len - r.pos);
  /* home-from-passwd names start hooks, which are decoded after the ops. */
  for (uint32_t i = 0; !r.failed && i < p->nops; i++)
    for (uint32_t j = 0; p->ops[i].kind == OP_HOME_FROM_PASSWD && j < p->ops[i].nhooks; j++)
      if (p->ops[i].hooks[j] >= p->nstart_hooks) fail(&r, "ops[%u]: no process.startHooks[%u]", i, p->ops[i].hooks[j]);
  if (r.failed) {
    plan_free(p);
    return -1;
  }
  return 0;
}

static void free_strs(char **v, uint32_t n) {
  if (!v) return;
  for (uint32_t i = 0; i < n; i++) free(v[i]);
  free(v);
}

void op_free(struct op *o) {
  free(o->s1);
  free(o->s2);
  free(o->s3);
  free(o->s4);
  free(o->gids);
  free(o->filter);
  free(o->hooks);
  free_strs(o->argv, o->nargv);
  free_strs(o->envp, o->nenvp);
  memset(o, 0, sizeof *o);
}

void plan_free(struct plan *p) {
  free(p->container_id);
  free_strs(p->cgroup_procs, p->ncgroup_procs);
  for (uint32_t i = 0; p->joins && i < p->njoins; i++) free(p->joins[i].path);
  free(p->joins);
  free(p->uid_maps);
  free(p->gid_maps);
  for (uint32_t i = 0; p->ops && i < p->nops; i++) op_free(&p->ops[i]);
  free(p->ops);
  for (uint32_t i = 0; p->start_hooks && i < p->nstart_hooks; i++) op_free(&p->start_hooks[i]);
  free(p->start_hooks);
  free_strs(p->args, p->nargs);
  free_strs(p->env, p->nenv);
  free(p->exec_fifo);
  memset(p, 0, sizeof *p);
}

const char *op_name_of(enum op_kind kind) {
  static const char *const names[] = {
    "?", "sethostname", "setdomainname", "propagate", "bind-rootfs", "mount", "mkdir",
    "symlink", "mknod", "bind-device", "pivot-root", "chroot", "readonly-root",
    "mask-path", "readonly-path", "sysctl", "oom-score-adj", "rlimit", "umask",
    "personality", "ioprio", "scheduler", "apparmor", "selinux-label", "no-new-privs",
    "identity", "seccomp", "chdir", "sync", "hook", "console", "home-from-passwd",
  };
  return (unsigned)kind <= OP_KIND_MAX ? names[kind] : "?";
}
