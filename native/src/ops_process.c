/* Process-privilege ops: limits, scheduling, identity, seccomp, cwd. */
#define _GNU_SOURCE
#include "oci.h"
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdint.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

struct sched_attr_v1 { /* the kernel's struct sched_attr (SCHED_ATTR_SIZE_VER1) */
  uint32_t size, sched_policy;
  uint64_t sched_flags;
  int32_t sched_nice;
  uint32_t sched_priority;
  uint64_t sched_runtime, sched_deadline, sched_period;
  uint32_t sched_util_min, sched_util_max;
};

static int op_identity(const struct op *o) {
  const uint64_t bounding = o->q[0], effective = o->q[1], permitted = o->q[2], inheritable = o->q[3], ambient = o->q[4];
  /* Keep the permitted set across setresuid away from 0; capset below sets it exactly. */
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) return fail_errno(errno, "prctl(PR_SET_KEEPCAPS)");
  for (int cap = 0; cap < 64; cap++) {
    int in = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
    if (in < 0) break; /* past the kernel's last capability */
    if (in && !(bounding >> cap & 1) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
      return fail_errno(errno, "drop capability %d from the bounding set", cap);
  }
  gid_t gids[o->ngids ? o->ngids : 1];
  for (uint32_t i = 0; i < o->ngids; i++) gids[i] = o->gids[i];
  /* In a user namespace with setgroups "deny" an empty list cannot be set and needs not be. */
  if (setgroups(o->ngids, gids) < 0 && !(errno == EPERM && o->ngids == 0))
    return fail_errno(errno, "setgroups (%u groups)", o->ngids);
  if (setresgid(o->u2, o->u2, o->u2) < 0) return fail_errno(errno, "setresgid %u", o->u2);
  if (setresuid(o->u1, o->u1, o->u1) < 0) return fail_errno(errno, "setresuid %u", o->u1);
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2] = {
    {(uint32_t)effective, (uint32_t)permitted, (uint32_t)inheritable},
    {(uint32_t)(effective >> 32), (uint32_t)(permitted >> 32), (uint32_t)(inheritable >> 32)},
  };
  if (syscall(SYS_capset, &hdr, data) < 0) return fail_errno(errno, "capset (effective 0x%llx, permitted 0x%llx)",
                                                             (unsigned long long)effective, (unsigned long long)permitted);
  if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) return fail_errno(errno, "prctl(PR_SET_KEEPCAPS, 0)");
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && ambient) return fail_errno(errno, "clear ambient capabilities");
  for (int cap = 0; cap < 64; cap++)
    if ((ambient >> cap & 1) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
      return fail_errno(errno, "raise ambient capability %d", cap);
  return 0;
}

static int op_seccomp(const struct op *o) {
  struct sock_fprog prog = {(unsigned short)(o->filter_len / 8), (struct sock_filter *)o->filter};
  long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, o->flags, &prog);
  if (r < 0) return fail_errno(errno, "install seccomp filter (%u instructions, flags 0x%x)", o->filter_len / 8, o->flags);
  if (r > 0) close((int)r); /* a listener fd (SECCOMP_FILTER_FLAG_NEW_LISTENER): not passed on yet */
  return 0;
}

static int op_chdir(struct init_ctx *c, const struct op *o) {
  /* Safety rule 2: the cwd must resolve inside the root; never a leaked host fd.
   * Not created here: the init's cwd was made by a mkdir op while / was still
   * writable (runc's order), and exec into a missing cwd fails, as in runc. */
  int fd = open_in_root(c->root_fd, o->s1, O_PATH | O_DIRECTORY);
  if (fd < 0) return fail_errno(errno, "chdir to cwd (\"%s\") set in config.json", o->s1);
  int r = fchdir(fd);
  int e = errno;
  close(fd);
  return r < 0 ? fail_errno(e, "chdir to cwd (\"%s\") set in config.json", o->s1) : 0;
}

int ops_process(struct init_ctx *c, const struct op *o) {
  switch (o->kind) {
  case OP_RLIMIT: {
    struct rlimit rl = {(rlim_t)o->q[0], (rlim_t)o->q[1]};
    if (prlimit(0, (int)o->u1, &rl, NULL) < 0)
      return fail_errno(errno, "setrlimit %s (soft %llu, hard %llu)", o->s1, (unsigned long long)o->q[0], (unsigned long long)o->q[1]);
    return 0;
  }
  case OP_UMASK:
    c->umask = (mode_t)(o->u1 & 0777);
    return 0;
  case OP_PERSONALITY:
    return personality(o->u1) < 0 ? fail_errno(errno, "personality 0x%x", o->u1) : 0;
  case OP_IOPRIO:
    return syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0, o->i1) < 0 ? fail_errno(errno, "ioprio_set 0x%x", o->i1) : 0;
  case OP_SCHEDULER: {
    struct sched_attr_v1 a = {0};
    a.size = sizeof a;
    a.sched_policy = o->u1;
    a.sched_nice = o->i1;
    a.sched_priority = o->u2;
    a.sched_flags = o->q[0];
    a.sched_runtime = o->q[1];
    a.sched_deadline = o->q[2];
    a.sched_period = o->q[3];
    if (syscall(SYS_sched_setattr, 0, &a, 0) < 0) return fail_errno(errno, "sched_setattr policy %u", o->u1);
    return 0;
  }
  case OP_NO_NEW_PRIVS:
    return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ? fail_errno(errno, "prctl(PR_SET_NO_NEW_PRIVS)") : 0;
  case OP_IDENTITY: return op_identity(o);
  case OP_SECCOMP: return op_seccomp(o);
  case OP_CHDIR: return op_chdir(c, o);
  default: return fail_errno(EINVAL, "%s is not a process op", op_name_of(o->kind));
  }
}
