/* process.terminal: a pty from the container's own devpts, its master sent to
 * the caller over the sync channel (SCM_RIGHTS), its slave kept for exec. */
#define _GNU_SOURCE
#include "oci.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <termios.h>
#include <unistd.h>

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

/* Safety rule 4: the multiplexer must be devpts' own 5:2, not a node the image planted. */
static int check_ptmx_fd(int fd) {
  struct stat st;
  struct statfs sfs;
  if (fstat(fd, &st) < 0 || fstatfs(fd, &sfs) < 0) return fail_errno(errno, "console: stat /dev/pts/ptmx");
  if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(5, 2) || sfs.f_type != DEVPTS_SUPER_MAGIC)
    return fail_errno(EPERM, "console: /dev/pts/ptmx is not the devpts character device 5:2");
  return 0;
}

/* The slave: TIOCGPTPEER needs no path lookup at all (Linux 4.13); otherwise
 * /dev/pts/N resolved in the root and checked to be a pty slave on devpts. */
static int open_slave(struct init_ctx *c, int master, const char *name) {
  int s = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (s >= 0 || errno != EINVAL) return s;
  s = open_in_root(c->root_fd, name, O_RDWR | O_NOCTTY);
  if (s < 0) return -1;
  struct stat st;
  struct statfs sfs;
  if (fstat(s, &st) < 0 || fstatfs(s, &sfs) < 0 || !S_ISCHR(st.st_mode) || sfs.f_type != DEVPTS_SUPER_MAGIC) {
    close(s);
    errno = EPERM;
    return -1;
  }
  return s;
}

static int mount_console(struct init_ctx *c, int slave) {
  char p1[32], p2[32];
  int fd = ensure_in_root(c->root_fd, "/dev/console", 0666, CREATE_FILE);
  if (fd < 0) return fail_errno(errno, "console: create /dev/console");
  int r = mount(fd_path(slave, p1), fd_path(fd, p2), NULL, MS_BIND, NULL);
  int e = errno;
  close(fd);
  return r < 0 ? fail_errno(e, "console: bind the pty onto /dev/console") : 0;
}

int op_console(struct init_ctx *c, const struct op *o) {
  if (c->console_fd >= 0) return fail_errno(EEXIST, "console: a terminal was already set up");
  int m = open_in_root(c->root_fd, "/dev/pts/ptmx", O_RDWR | O_NOCTTY);
  if (m < 0) return fail_errno(errno, "console: open /dev/pts/ptmx");
  if (check_ptmx_fd(m) < 0) goto fail;
  int unlock = 0;
  unsigned n = 0;
  if (ioctl(m, TIOCSPTLCK, &unlock) < 0) {
    fail_errno(errno, "console: unlockpt");
    goto fail;
  }
  if (ioctl(m, TIOCGPTN, &n) < 0) {
    fail_errno(errno, "console: TIOCGPTN");
    goto fail;
  }
  if (o->u1 || o->u2) {
    struct winsize ws = {(unsigned short)o->u1, (unsigned short)o->u2, 0, 0};
    if (ioctl(m, TIOCSWINSZ, &ws) < 0) {
      fail_errno(errno, "console: set size %ux%u", o->u1, o->u2);
      goto fail;
    }
  }
  char name[32];
  snprintf(name, sizeof name, "/dev/pts/%u", n);
  int s = open_slave(c, m, name);
  if (s < 0) {
    fail_errno(errno, "console: open %s", name);
    goto fail;
  }
  if (o->u3 && mount_console(c, s) < 0) {
    close(s);
    goto fail;
  }
  char line[64];
  int len = snprintf(line, sizeof line, "{\"type\":\"console\",\"name\":\"%s\"}\n", name);
  if (send_fd(c->sync_fd, m, line, (size_t)len) < 0) {
    fail_errno(errno, "console: send the pty master to the caller");
    close(s);
    goto fail;
  }
  close(m); /* the container keeps only the slave */
  c->console_fd = s;
  return 0;
fail:;
  int e = errno;
  close(m);
  errno = e;
  return -1;
}

/* At exec: a new session with the pty as controlling terminal and stdio. */
int console_attach(int slave) {
  if (setsid() < 0) return fail_errno(errno, "console: setsid");
  if (ioctl(slave, TIOCSCTTY, 0) < 0) return fail_errno(errno, "console: TIOCSCTTY");
  for (int fd = 0; fd < 3; fd++)
    if (dup2(slave, fd) < 0) return fail_errno(errno, "console: dup2 the pty onto fd %d", fd);
  if (slave > 2) close(slave);
  return 0;
}
