/* Safety rule 1: paths inside the rootfs are resolved at the moment of use and
 * never lead out of it (CVE-2021-30465 and friends: a symlinked mount target).
 * Primary: openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS). Fallback (kernels
 * without openat2): a component-by-component O_NOFOLLOW walk that expands
 * symlinks itself, clamping ".." and absolute targets at the root. */
#define _GNU_SOURCE
#include "oci.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int g_force_walk;

#define MAX_LINKS 40
#define MAX_DEPTH 256

const char *fd_path(int fd, char buf[static 32]) {
  snprintf(buf, 32, "/proc/self/fd/%d", fd);
  return buf;
}

static int close_keep_errno(int fd) {
  int e = errno;
  if (fd >= 0) close(fd);
  errno = e;
  return -1;
}

/* Component-wise walk. flags are applied when opening the last component. */
static int walk_in_root(int root, const char *path, int flags) {
  char *work = malloc(2 * PATH_MAX), *tmp = malloc(2 * PATH_MAX);
  int stack[MAX_DEPTH], depth = 0, links = 0, result = -1;
  if (!work || !tmp) {
    free(work);
    free(tmp);
    errno = ENOMEM;
    return -1;
  }
  if (strlen(path) >= PATH_MAX) {
    errno = ENAMETOOLONG;
    goto out_nostack;
  }
  strcpy(work, path);
  stack[0] = fcntl(root, F_DUPFD_CLOEXEC, 0);
  if (stack[0] < 0) goto out_nostack;
  char *rest = work;
  for (;;) {
    while (*rest == '/') rest++;
    if (!*rest) { /* path ends at a directory already on the stack */
      char p[32];
      result = (flags & O_PATH) ? fcntl(stack[depth], F_DUPFD_CLOEXEC, 0) : open(fd_path(stack[depth], p), flags | O_CLOEXEC);
      break;
    }
    char *end = strchr(rest, '/');
    size_t clen = end ? (size_t)(end - rest) : strlen(rest);
    char comp[NAME_MAX + 1];
    if (clen > NAME_MAX) {
      errno = ENAMETOOLONG;
      break;
    }
    memcpy(comp, rest, clen);
    comp[clen] = 0;
    rest += clen;
    int last = 1;
    for (const char *q = rest; *q; q++)
      if (*q != '/') { last = 0; break; }
    if (!strcmp(comp, ".")) continue;
    if (!strcmp(comp, "..")) { /* ".." at the root stays at the root */
      if (depth > 0) close(stack[depth--]);
      if (last) rest += strlen(rest);
      continue;
    }
    int fd = openat(stack[depth], comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) break;
    struct stat st;
    if (fstat(fd, &st) < 0) {
      close_keep_errno(fd);
      break;
    }
    if (S_ISLNK(st.st_mode)) {
      char target[PATH_MAX];
      ssize_t n = readlinkat(fd, "", target, sizeof target - 1);
      close(fd);
      if (n < 0) break;
      target[n] = 0;
      if (++links > MAX_LINKS) {
        errno = ELOOP;
        break;
      }
      if ((size_t)n + strlen(rest) + 2 >= 2 * PATH_MAX) {
        errno = ENAMETOOLONG;
        break;
      }
      memcpy(tmp, target, (size_t)n);
      tmp[n] = '/';
      strcpy(tmp + n + 1, rest);
      strcpy(work, tmp);
      rest = work;
      if (target[0] == '/')
        while (depth > 0) close(stack[depth--]);
      continue;
    }
    if (last) {
      if (flags & O_PATH) {
        result = fd;
      } else { /* reopen by name, still refusing a symlink swapped in meanwhile */
        result = openat(stack[depth], comp, flags | O_NOFOLLOW | O_CLOEXEC);
        close_keep_errno(fd);
      }
      break;
    }
    if (!S_ISDIR(st.st_mode)) {
      close(fd);
      errno = ENOTDIR;
      break;
    }
    if (depth + 1 >= MAX_DEPTH) {
      close(fd);
      errno = ENAMETOOLONG;
      break;
    }
    stack[++depth] = fd;
  }
  int e = errno;
  while (depth >= 0) close(stack[depth--]);
  errno = e;
out_nostack:
  e = errno;
  free(work);
  free(tmp);
  errno = e;
  return result;
}

int open_in_root(int root, const char *path, int flags) {
  if (!g_force_walk) {
    struct open_how how = {0};
    how.flags = (uint64_t)(flags | O_CLOEXEC);
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    for (;;) {
      long fd = syscall(SYS_openat2, root, path[0] ? path : ".", &how, sizeof how);
      if (fd >= 0) return (int)fd;
      if (errno == EAGAIN || errno == EINTR) continue; /* rename race: retry */
      if (errno != ENOSYS) return -1;
      break;
    }
  }
  return walk_in_root(root, path, flags);
}

/* Splits path into its parent (written to parent) and last component (base). */
static int split_path(const char *path, char *parent, size_t plen, char *base, size_t blen) {
  size_t n = strlen(path);
  while (n > 1 && path[n - 1] == '/') n--;
  size_t b = n;
  while (b > 0 && path[b - 1] != '/') b--;
  if (n - b >= blen || b >= plen) {
    errno = ENAMETOOLONG;
    return -1;
  }
  memcpy(base, path + b, n - b);
  base[n - b] = 0;
  memcpy(parent, path, b);
  parent[b] = 0;
  if (!parent[0]) strcpy(parent, "/");
  return 0;
}

static int ensure(int root, const char *path, mode_t mode, int kind, int hops) {
  int fd = open_in_root(root, path, O_PATH);
  if (fd >= 0 || errno != ENOENT || kind == CREATE_NONE) return fd;
  if (hops > MAX_LINKS) {
    errno = ELOOP;
    return -1;
  }
  char parent[PATH_MAX], base[NAME_MAX + 1];
  if (split_path(path, parent, sizeof parent, base, sizeof base) < 0) return -1;
  if (!base[0] || !strcmp(base, ".") || !strcmp(base, "..")) {
    errno = ENOENT;
    return -1;
  }
  int pfd = ensure(root, parent, 0755, CREATE_DIR, hops + 1);
  if (pfd < 0) return -1;
  int r;
  if (kind == CREATE_DIR) {
    r = mkdirat(pfd, base, mode);
  } else {
    r = openat(pfd, base, O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY | O_CLOEXEC, mode);
    if (r >= 0) r = close(r);
  }
  if (r < 0 && errno == EEXIST) {
    /* A dangling symlink: create its target, resolved inside the root too. */
    struct stat st;
    if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
      char target[PATH_MAX], next[2 * PATH_MAX + 2];
      ssize_t n = readlinkat(pfd, base, target, sizeof target - 1);
      close(pfd);
      if (n < 0) return -1;
      target[n] = 0;
      snprintf(next, sizeof next, "%s/%s", target[0] == '/' ? "" : parent, target);
      return ensure(root, next, mode, kind, hops + 1);
    }
  } else if (r < 0) {
    return close_keep_errno(pfd);
  }
  fd = openat(pfd, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  close_keep_errno(pfd);
  if (fd < 0) return -1;
  /* What we opened by name must be what the root-confined resolution sees. */
  close(fd);
  return open_in_root(root, path, O_PATH);
}

int ensure_in_root(int root, const char *path, mode_t mode, int kind) {
  return ensure(root, path, mode, kind, 0);
}

int open_parent_in_root(int root, const char *path, char *base, size_t blen) {
  char parent[PATH_MAX];
  if (split_path(path, parent, sizeof parent, base, blen) < 0) return -1;
  if (!base[0] || !strcmp(base, ".") || !strcmp(base, "..")) {
    errno = EINVAL;
    return -1;
  }
  return ensure_in_root(root, parent, 0755, CREATE_DIR);
}
