/* Shared declarations of oci-init and libocisys. */
#ifndef OCI_H
#define OCI_H
#include "plan.h"
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* ── errors: one slot, filled by the failing step, reported by stage 1 ── */
struct oci_error {
  int err;           /* errno value */
  char msg[256 * 1024]; /* "mount proc on /proc: Operation not permitted"; large for hook output (BSS: costs nothing until used) */
};
extern struct oci_error g_err;
/* Records err and the formatted context (": strerror" appended); returns -1. */
int fail_errno(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Records err and exactly the formatted message (no strerror); returns -1. */
int fail_plain(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ── sync channel (sync.c) ── */
int sync_read_plan(int fd, uint8_t **buf, size_t *len);
void sync_send_pid(int fd, pid_t pid);
void sync_send_ready(int fd);
/* {"type":"sync","point":…}: the caller answers with one line (ops_hook.c). */
void sync_send_sync(int fd, const char *point);
/* One sendmsg: payload bytes with fd attached (SCM_RIGHTS). 0 or -1/errno. */
int send_fd(int sock, int fd, const void *payload, size_t len);
void sync_send_error(int fd, long op_index, const char *op_name, int err, const char *message);
const char *errno_name(int err);

/* ── path resolution inside a root (resolve.c), safety rule 1 ── */
/* open path (absolute or relative, always taken relative to root) without ever leaving root. */
int open_in_root(int root, const char *path, int flags);
/* Like open_in_root(O_PATH), creating what is missing: kind CREATE_DIR (mkdir -p) or CREATE_FILE. */
int ensure_in_root(int root, const char *path, mode_t mode, int kind);
/* Opens (creating with mkdir -p) the parent directory of path; *base points into path. */
int open_parent_in_root(int root, const char *path, char *basebuf, size_t baselen);
/* "/proc/self/fd/N" for fd. */
const char *fd_path(int fd, char buf[static 32]);
/* Test hook: use the component-wise walk even where openat2 exists. */
extern int g_force_walk;

/* ── procfs checks (sys.c), safety rule 4 ── */
int fd_is_procfs(int fd);   /* 1, 0, or -1 with errno */
/* Opens /proc/<rel> (relative to the current root) for writing, verified to be on procfs. */
int open_proc_write(const char *rel);

/* ── stage 1 state and ops ── */
struct init_ctx {
  struct plan *plan;
  int sync_fd;
  int root_fd;       /* the container root: rootfs before pivot, "/" after */
  int fifo_fd;       /* O_PATH fd of the exec fifo, -1 without one */
  mode_t umask;      /* applied right before execve */
  int console_fd;    /* pty slave from the "console" op, -1 without one */
  char *states[2];   /* hook state JSON per enum hook_name, from the caller's sync answer */
  mode_t hook_umask; /* the umask oci-init inherited: hooks are the runtime's programs, not the container's */
};
int run_op(struct init_ctx *c, const struct op *o);
int ops_mount(struct init_ctx *c, const struct op *o);
int ops_system(struct init_ctx *c, const struct op *o);
int ops_process(struct init_ctx *c, const struct op *o);
int ops_caller(struct init_ctx *c, const struct op *o);  /* sync, hook (ops_hook.c) */
int run_hook(struct init_ctx *c, const struct op *o);
int op_console(struct init_ctx *c, const struct op *o);  /* ops_console.c */
/* passwd.c: HOME from the container's /etc/passwd (runc's setupUser). */
#define PASSWD_LINE_MAX 65536u        /* bufio.Scanner's limit in runc */
#define PASSWD_READ_MAX (64u << 20)   /* bytes read looking for the entry */
int op_home_from_passwd(struct init_ctx *c, const struct op *o);
/* One line (no newline): 1 with the home field when it is uid's entry, else 0. */
int passwd_line_home(const char *line, size_t len, uint32_t uid, const char **home, size_t *home_len);
/* Scans fd: 0 with *home malloc'd (NULL: no entry for uid), -1 with g_err set. */
int passwd_home(int fd, uint32_t uid, char **home);
int console_attach(int slave);
/* exec.c: default dispositions for every signal and an empty mask (before any execve). */
void reset_signals(void);

/* ── exec (exec.c) ── */
/* Resolves args[0] (PATH lookup in the plan's env); fills path. Sets g_err on failure. */
int exec_lookup(const struct plan *p, char *path, size_t len);
_Noreturn void exec_process(struct init_ctx *c, const char *path);

/* ── stages ── */
_Noreturn void stage0(struct plan *p, int sync_fd);
/* fifo_fd: O_PATH fd of the exec fifo opened by stage 0 before any join, or -1. */
_Noreturn void stage1(struct plan *p, int sync_fd, int release_fd, int status_fd, int fifo_fd);

/* ── self protection (selfseal.c), safety rule 3 ── */
int ensure_sealed_self(char **argv, char **envp);

#endif
