/* Ops on the container's kernel view: uts names, sysctls, oom score, LSM labels.
 * Every /proc write goes through open_proc_write (procfs-verified fd). */
#define _GNU_SOURCE
#include "oci.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int write_proc(const char *rel, const char *value, const char *what) {
  int fd = open_proc_write(rel);
  if (fd < 0) return fail_errno(errno, "%s: open /proc/%s", what, rel);
  size_t n = strlen(value);
  ssize_t w = write(fd, value, n);
  int e = errno;
  close(fd);
  if (w < 0) return fail_errno(e, "%s: write /proc/%s", what, rel);
  if ((size_t)w != n) return fail_errno(EIO, "%s: short write to /proc/%s", what, rel);
  return 0;
}

/* "net.ipv4.ip_forward" → "sys/net/ipv4/ip_forward"; refuses anything that
 * could name a path outside /proc/sys. */
static int sysctl_path(const char *key, char *out, size_t len) {
  if (!key[0] || strlen(key) + 5 >= len || key[0] == '.' || strstr(key, "..") || key[strlen(key) - 1] == '.') return -1;
  snprintf(out, len, "sys/%s", key);
  for (char *p = out + 4; *p; p++) {
    if (*p == '.') *p = '/';
  }
  for (const char *p = out; *p; p++) /* no empty/dot components left */
    if (p[0] == '/' && (p[1] == '/' || p[1] == 0 || (p[1] == '.' && (p[2] == '/' || p[2] == 0)))) return -1;
  return 0;
}

static int file_has_y(const char *path) {
  char buf[4] = {0};
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  return n > 0 && buf[0] == 'Y';
}

static int op_apparmor(const struct op *o) {
  char what[PATH_MAX + 32], value[PATH_MAX + 8];
  snprintf(what, sizeof what, "apparmor profile %s", o->s1);
  if (!file_has_y("/sys/module/apparmor/parameters/enabled"))
    return fail_errno(EOPNOTSUPP, "%s: AppArmor is not enabled on this host", what);
  snprintf(value, sizeof value, "exec %s", o->s1);
  /* Newer kernels have an LSM-specific attr directory; fall back to the shared one. */
  if (write_proc("self/attr/apparmor/exec", value, what) == 0) return 0;
  return write_proc("self/attr/exec", value, what);
}

static int op_selinux(const struct op *o) {
  char what[PATH_MAX + 32];
  struct stat st;
  snprintf(what, sizeof what, "selinux label %s", o->s1);
  if (stat("/sys/fs/selinux/enforce", &st) < 0 && stat("/selinux/enforce", &st) < 0)
    return fail_errno(EOPNOTSUPP, "%s: SELinux is not enabled on this host", what);
  return write_proc("self/attr/exec", o->s1, what);
}

int ops_system(struct init_ctx *c, const struct op *o) {
  (void)c;
  switch (o->kind) {
  case OP_SETHOSTNAME:
    return sethostname(o->s1, strlen(o->s1)) < 0 ? fail_errno(errno, "sethostname %s", o->s1) : 0;
  case OP_SETDOMAINNAME:
    return setdomainname(o->s1, strlen(o->s1)) < 0 ? fail_errno(errno, "setdomainname %s", o->s1) : 0;
  case OP_SYSCTL: {
    char rel[PATH_MAX], what[PATH_MAX + 64];
    if (sysctl_path(o->s1, rel, sizeof rel) < 0) return fail_errno(EINVAL, "sysctl %s: invalid key", o->s1);
    snprintf(what, sizeof what, "sysctl %s=%s", o->s1, o->s2);
    return write_proc(rel, o->s2, what);
  }
  case OP_OOM_SCORE_ADJ: {
    /* In a user namespace we made, /proc/self/oom_score_adj belongs to host
     * root (we are not dumpable) and lowering it needs CAP_SYS_RESOURCE in the
     * initial namespace: stage 0 wrote it for us, from the host (stage0.c). */
    if (c->plan->create_flags & CLONE_NEWUSER) return 0;
    char v[16], what[48];
    snprintf(v, sizeof v, "%d", o->i1);
    snprintf(what, sizeof what, "oom_score_adj %d", o->i1);
    return write_proc("self/oom_score_adj", v, what);
  }
  case OP_APPARMOR: return op_apparmor(o);
  case OP_SELINUX_LABEL: return op_selinux(o);
  default: return fail_errno(EINVAL, "%s is not a system op", op_name_of(o->kind));
  }
}
