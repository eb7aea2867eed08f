/* Mount-namespace ops: every in-rootfs target is resolved at the moment of use
 * (resolve.c) and mounted through /proc/self/fd/N of the resolved fd. */
#define _GNU_SOURCE
#include "oci.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static int close_fd(int fd) {
  int e = errno;
  if (fd >= 0) close(fd);
  errno = e;
  return 0;
}

/* Flags a bind remount must keep: inside a user namespace the kernel refuses
 * to clear nosuid/nodev/noexec/atime flags that the original mount had. */
static unsigned long locked_flags(int fd) {
  struct statvfs sv;
  unsigned long f = 0;
  if (fstatvfs(fd, &sv) < 0) return 0;
  if (sv.f_flag & ST_NOSUID) f |= MS_NOSUID;
  if (sv.f_flag & ST_NODEV) f |= MS_NODEV;
  if (sv.f_flag & ST_NOEXEC) f |= MS_NOEXEC;
  if (sv.f_flag & ST_NOATIME) f |= MS_NOATIME;
  if (sv.f_flag & ST_NODIRATIME) f |= MS_NODIRATIME;
  if (sv.f_flag & ST_RELATIME) f |= MS_RELATIME;
  return f;
}

/* Safety rule 4: what was just mounted as devpts must carry the real
 * multiplexer (5:2) at ptmx; /dev/ptmx links to it and consoles come from it. */
static int check_ptmx(struct init_ctx *c, const char *target) {
  char path[PATH_MAX];
  struct stat st;
  if ((size_t)snprintf(path, sizeof path, "%s/ptmx", target) >= sizeof path) return fail_errno(ENAMETOOLONG, "devpts on %s", target);
  int fd = open_in_root(c->root_fd, path, O_PATH);
  if (fd < 0) return fail_errno(errno, "devpts on %s: open ptmx", target);
  int r = fstat(fd, &st);
  close(fd);
  if (r < 0) return fail_errno(errno, "devpts on %s: stat ptmx", target);
  if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(5, 2)) return fail_errno(EPERM, "devpts on %s: ptmx is not the character device 5:2", target);
  return 0;
}

static int op_mount(struct init_ctx *c, const struct op *o) {
  const char *src = o->s1, *target = o->s2, *fstype = o->s3, *data = o->s4;
  char p[32];
  int fd = o->create == CREATE_NONE ? open_in_root(c->root_fd, target, O_PATH)
                                    : ensure_in_root(c->root_fd, target, o->create == CREATE_DIR ? 0755 : 0644, o->create);
  if (fd < 0) return fail_errno(errno, "mount %s on %s: resolve target in rootfs", src, target);
  int r = mount(src[0] ? src : NULL, fd_path(fd, p), fstype[0] ? fstype : NULL, o->flags, data[0] ? data : NULL);
  close_fd(fd);
  if (r < 0) return fail_errno(errno, "mount %s on %s", src, target);
  if (!strcmp(fstype, "devpts") && check_ptmx(c, target) < 0) return -1;
  if (o->has_remount) { /* resolve again: the fd above names the mount point underneath */
    fd = open_in_root(c->root_fd, target, O_PATH);
    if (fd < 0) return fail_errno(errno, "remount %s: resolve target in rootfs", target);
    r = mount(NULL, fd_path(fd, p), NULL, MS_REMOUNT | o->remount_flags | ((o->flags & MS_BIND) ? locked_flags(fd) : 0), NULL);
    close_fd(fd);
    if (r < 0) return fail_errno(errno, "remount %s on %s with flags 0x%x", src, target, o->remount_flags);
  }
  if (o->has_propagation) {
    fd = open_in_root(c->root_fd, target, O_PATH);
    if (fd < 0) return fail_errno(errno, "set propagation of %s: resolve target in rootfs", target);
    r = mount(NULL, fd_path(fd, p), NULL, o->propagation, NULL);
    close_fd(fd);
    if (r < 0) return fail_errno(errno, "set propagation 0x%x of %s", o->propagation, target);
  }
  return 0;
}

static int op_bind_rootfs(struct init_ctx *c, const struct op *o) {
  if (mount(o->s1, o->s1, NULL, MS_BIND | MS_REC, NULL) < 0) return fail_errno(errno, "bind rootfs %s onto itself", o->s1);
  int fd = open(o->s1, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return fail_errno(errno, "open rootfs %s", o->s1);
  close(c->root_fd);
  c->root_fd = fd;
  return 0;
}

static int op_mkdir(struct init_ctx *c, const struct op *o) {
  int fd = ensure_in_root(c->root_fd, o->s1, o->u1, CREATE_DIR);
  if (fd < 0) return fail_errno(errno, "mkdir %s", o->s1);
  struct stat st;
  int r = fstat(fd, &st);
  close(fd);
  if (r == 0 && !S_ISDIR(st.st_mode)) return fail_errno(ENOTDIR, "mkdir %s", o->s1);
  return 0;
}

static int op_symlink(struct init_ctx *c, const struct op *o) {
  const char *target = o->s1, *link = o->s2;
  char base[NAME_MAX + 1];
  int pfd = open_parent_in_root(c->root_fd, link, base, sizeof base);
  if (pfd < 0) return fail_errno(errno, "symlink %s -> %s: parent directory", link, target);
  int r = symlinkat(target, pfd, base);
  if (r < 0 && errno == EEXIST) { /* an identical link is fine */
    char cur[PATH_MAX];
    ssize_t n = readlinkat(pfd, base, cur, sizeof cur - 1);
    if (n >= 0) {
      cur[n] = 0;
      r = strcmp(cur, target) == 0 ? 0 : -1;
    }
    errno = EEXIST;
  }
  close_fd(pfd);
  return r < 0 ? fail_errno(errno, "symlink %s -> %s", link, target) : 0;
}

static int op_mknod(struct init_ctx *c, const struct op *o) {
  mode_t type = o->node_kind == 'c' ? S_IFCHR : o->node_kind == 'b' ? S_IFBLK : S_IFIFO;
  dev_t dev = o->node_kind == 'p' ? 0 : makedev(o->u1, o->u2);
  char base[NAME_MAX + 1];
  int pfd = open_parent_in_root(c->root_fd, o->s1, base, sizeof base);
  if (pfd < 0) return fail_errno(errno, "mknod %s: parent directory", o->s1);
  int r = mknodat(pfd, base, type | o->u3, dev);
  if (r < 0 && errno == EEXIST) { /* the same node already there is fine */
    struct stat st;
    if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 && (st.st_mode & S_IFMT) == type && st.st_rdev == dev) r = 0;
    else errno = EEXIST;
  }
  if (r == 0) r = fchownat(pfd, base, o->u4, o->u5, AT_SYMLINK_NOFOLLOW);
  if (r == 0) r = fchmodat(pfd, base, o->u3, 0);
  close_fd(pfd);
  return r < 0 ? fail_errno(errno, "mknod %s %c %u:%u", o->s1, o->node_kind, o->u1, o->u2) : 0;
}

static int op_bind_device(struct init_ctx *c, const struct op *o) {
  char p1[32], p2[32];
  int src = open(o->s1, O_PATH | O_CLOEXEC);
  if (src < 0) return fail_errno(errno, "bind device %s: open source", o->s1);
  struct stat st;
  if (fstat(src, &st) < 0) {
    close_fd(src);
    return fail_errno(errno, "bind device %s: stat source", o->s1);
  }
  if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode)) {
    close_fd(src);
    return fail_errno(ENODEV, "bind device %s: not a device node", o->s1);
  }
  int fd = ensure_in_root(c->root_fd, o->s2, 0644, CREATE_FILE);
  if (fd < 0) {
    close_fd(src);
    return fail_errno(errno, "bind device %s on %s: resolve target in rootfs", o->s1, o->s2);
  }
  int r = mount(fd_path(src, p1), fd_path(fd, p2), NULL, MS_BIND, NULL);
  close_fd(src);
  close_fd(fd);
  return r < 0 ? fail_errno(errno, "bind device %s on %s", o->s1, o->s2) : 0;
}

static int reopen_root(struct init_ctx *c) {
  int fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return -1;
  close(c->root_fd);
  c->root_fd = fd;
  return 0;
}

/* pivot_root(".", ".") stacks the old root on top of the new one; making it
 * rslave then detaching it removes it without a temporary directory and
 * without the unmount propagating back to the host. */
static int op_pivot_root(struct init_ctx *c) {
  if (fchdir(c->root_fd) < 0) return fail_errno(errno, "pivot_root: chdir to rootfs");
  if (syscall(SYS_pivot_root, ".", ".") < 0) return fail_errno(errno, "pivot_root into rootfs");
  if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0) return fail_errno(errno, "pivot_root: make old root rslave");
  if (umount2(".", MNT_DETACH) < 0) return fail_errno(errno, "pivot_root: detach old root");
  if (chdir("/") < 0 || reopen_root(c) < 0) return fail_errno(errno, "pivot_root: chdir /");
  return 0;
}

/* --no-pivot: move the rootfs mount onto / and chroot into it (as runc does). */
static int op_chroot(struct init_ctx *c) {
  if (fchdir(c->root_fd) < 0) return fail_errno(errno, "chroot: chdir to rootfs");
  if (mount(".", "/", NULL, MS_MOVE, NULL) < 0) return fail_errno(errno, "chroot: move rootfs onto /");
  if (chroot(".") < 0) return fail_errno(errno, "chroot into rootfs");
  if (chdir("/") < 0 || reopen_root(c) < 0) return fail_errno(errno, "chroot: chdir /");
  return 0;
}

static int op_readonly_root(struct init_ctx *c) {
  unsigned long flags = MS_BIND | MS_REMOUNT | MS_RDONLY | locked_flags(c->root_fd);
  if (mount(NULL, "/", NULL, flags, NULL) < 0) return fail_errno(errno, "remount / read-only");
  return 0;
}

static int op_mask_path(struct init_ctx *c, const struct op *o) {
  char p1[32], p2[32];
  int fd = open_in_root(c->root_fd, o->s1, O_PATH);
  if (fd < 0 && errno == ENOENT) return 0;
  if (fd < 0) return fail_errno(errno, "mask %s: resolve", o->s1);
  struct stat st;
  if (fstat(fd, &st) < 0) {
    close_fd(fd);
    return fail_errno(errno, "mask %s: stat", o->s1);
  }
  int r;
  if (S_ISDIR(st.st_mode)) {
    r = mount("tmpfs", fd_path(fd, p1), "tmpfs", MS_RDONLY, NULL);
  } else {
    /* Only the real null device may be bound over a masked path (a fake
     * /dev/null planted by the image would unmask it: CVE-2023-27561 class). */
    int null = open_in_root(c->root_fd, "/dev/null", O_PATH);
    struct stat ns;
    if (null < 0 || fstat(null, &ns) < 0) {
      close_fd(fd);
      close_fd(null);
      return fail_errno(errno, "mask %s: open /dev/null", o->s1);
    }
    if (!S_ISCHR(ns.st_mode) || ns.st_rdev != makedev(1, 3)) {
      close_fd(fd);
      close_fd(null);
      return fail_errno(EPERM, "mask %s: /dev/null is not the character device 1:3", o->s1);
    }
    r = mount(fd_path(null, p2), fd_path(fd, p1), NULL, MS_BIND, NULL);
    close_fd(null);
  }
  close_fd(fd);
  return r < 0 ? fail_errno(errno, "mask %s", o->s1) : 0;
}

static int op_readonly_path(struct init_ctx *c, const struct op *o) {
  char p[32];
  int fd = open_in_root(c->root_fd, o->s1, O_PATH);
  if (fd < 0 && errno == ENOENT) return 0;
  if (fd < 0) return fail_errno(errno, "readonly %s: resolve", o->s1);
  int r = mount(fd_path(fd, p), fd_path(fd, p), NULL, MS_BIND | MS_REC, NULL);
  close_fd(fd);
  if (r < 0) return fail_errno(errno, "readonly %s: bind onto itself", o->s1);
  fd = open_in_root(c->root_fd, o->s1, O_PATH);
  if (fd < 0) return fail_errno(errno, "readonly %s: resolve", o->s1);
  r = mount(NULL, fd_path(fd, p), NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | locked_flags(fd), NULL);
  close_fd(fd);
  return r < 0 ? fail_errno(errno, "readonly %s: remount read-only", o->s1) : 0;
}

int ops_mount(struct init_ctx *c, const struct op *o) {
  switch (o->kind) {
  case OP_PROPAGATE:
    if (mount(NULL, o->s1, NULL, o->flags, NULL) < 0) return fail_errno(errno, "set propagation 0x%x of %s", o->flags, o->s1);
    return 0;
  case OP_BIND_ROOTFS: return op_bind_rootfs(c, o);
  case OP_MOUNT: return op_mount(c, o);
  case OP_MKDIR: return op_mkdir(c, o);
  case OP_SYMLINK: return op_symlink(c, o);
  case OP_MKNOD: return op_mknod(c, o);
  case OP_BIND_DEVICE: return op_bind_device(c, o);
  case OP_PIVOT_ROOT: return op_pivot_root(c);
  case OP_CHROOT: return op_chroot(c);
  case OP_READONLY_ROOT: return op_readonly_root(c);
  case OP_MASK_PATH: return op_mask_path(c, o);
  case OP_READONLY_PATH: return op_readonly_path(c, o);
  default: return fail_errno(EINVAL, "%s is not a mount op", op_name_of(o->kind));
  }
}
