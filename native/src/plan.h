/* The decoded Plan (see native/PLAN-FORMAT.md and packages/plan/src/types.ts). */
#ifndef OCI_PLAN_H
#define OCI_PLAN_H
#include <stddef.h>
#include <stdint.h>

enum op_kind {
  OP_SETHOSTNAME = 1, OP_SETDOMAINNAME, OP_PROPAGATE, OP_BIND_ROOTFS, OP_MOUNT,
  OP_MKDIR, OP_SYMLINK, OP_MKNOD, OP_BIND_DEVICE, OP_PIVOT_ROOT, OP_CHROOT,
  OP_READONLY_ROOT, OP_MASK_PATH, OP_READONLY_PATH, OP_SYSCTL, OP_OOM_SCORE_ADJ,
  OP_RLIMIT, OP_UMASK, OP_PERSONALITY, OP_IOPRIO, OP_SCHEDULER, OP_APPARMOR,
  OP_SELINUX_LABEL, OP_NO_NEW_PRIVS, OP_IDENTITY, OP_SECCOMP, OP_CHDIR,
  OP_SYNC, OP_HOOK, OP_CONSOLE, OP_HOME_FROM_PASSWD,
  OP_KIND_MAX = OP_HOME_FROM_PASSWD
};

/* "hook" op name (u1) and "sync" op point (u1). */
enum hook_name { HOOK_CREATE_CONTAINER = 0, HOOK_START_CONTAINER = 1 };
enum sync_point { SYNC_CREATE_RUNTIME = 0 };
#define MAX_START_HOOKS 1024u

enum create_kind { CREATE_NONE = 0, CREATE_DIR = 1, CREATE_FILE = 2 };

struct id_map { uint32_t container_id, host_id, size; };

struct time_offset { int present; int64_t secs; uint32_t nsecs; };

struct ns_join { uint32_t type; char *path; };

struct op {
  enum op_kind kind;
  /* Strings: meaning depends on kind (see op_name_of / ops_*.c). */
  char *s1, *s2, *s3, *s4;
  uint32_t u1, u2, u3, u4, u5;
  int32_t i1;
  uint8_t create, has_remount, has_propagation, node_kind;
  uint32_t flags, remount_flags, propagation;
  uint64_t q[5];
  uint32_t *gids;
  uint32_t ngids;
  uint8_t *filter;
  uint32_t filter_len;
  char **argv, **envp; /* hook args (NULL-terminated) and env */
  uint32_t nargv, nenvp;
  uint32_t *hooks;     /* home-from-passwd: indexes into plan.start_hooks that get HOME too */
  uint32_t nhooks;
};

struct plan {
  char *container_id;
  int stage0_wait;
  char **cgroup_procs;
  uint32_t ncgroup_procs;
  struct ns_join *joins;
  uint32_t njoins;
  uint32_t create_flags;
  int has_idmaps;
  struct id_map *uid_maps, *gid_maps;
  uint32_t nuid_maps, ngid_maps;
  int setgroups_allow;
  int has_time;
  struct time_offset monotonic, boottime;
  struct op *ops;
  uint32_t nops;
  char **args;
  uint32_t nargs;
  char **env;
  uint32_t nenv;
  uint32_t preserve_fds;
  char *exec_fifo;
  struct op *start_hooks; /* process.startHooks: OP_HOOK ops named startContainer */
  uint32_t nstart_hooks;
};

#define PLAN_MAX_BYTES (16u << 20)

/* Decodes buf into *out. Returns 0, or -1 with a message in err. */
int plan_decode(const uint8_t *buf, size_t len, struct plan *out, char *err, size_t errlen);
void plan_free(struct plan *p);
void op_free(struct op *o);
const char *op_name_of(enum op_kind kind);

#endif
