/* Safety rule 3 (CVE-2019-5736): a container process that can open
 * /proc/<init pid>/exe must not reach the runtime's binary on disk. oci-init
 * re-executes itself from a sealed memfd copy, so /proc/self/exe is a
 * read-only anonymous file. */
#define _GNU_SOURCE
#include "oci.h"
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#define REQUIRED_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

static int is_sealed(int fd) {
  int seals = fcntl(fd, F_GET_SEALS);
  return seals >= 0 && (seals & REQUIRED_SEALS) == REQUIRED_SEALS;
}

int ensure_sealed_self(char **argv, char **envp) {
  int exe = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (exe < 0) return fail_errno(errno, "open /proc/self/exe");
  if (is_sealed(exe)) {
    close(exe);
    return 0;
  }
  struct stat st;
  if (fstat(exe, &st) < 0) {
    close(exe);
    return fail_errno(errno, "stat /proc/self/exe");
  }
  int mfd = memfd_create("oci-init", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (mfd < 0) {
    close(exe);
    return fail_errno(errno, "memfd_create");
  }
  off_t left = st.st_size;
  while (left > 0) {
    ssize_t n = sendfile(mfd, exe, NULL, (size_t)left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int e = n < 0 ? errno : EIO;
      close(exe);
      close(mfd);
      return fail_errno(e, "copy /proc/self/exe to memfd");
    }
    left -= n;
  }
  close(exe);
  if (fcntl(mfd, F_ADD_SEALS, REQUIRED_SEALS) < 0) {
    close(mfd);
    return fail_errno(errno, "seal memfd");
  }
  fexecve(mfd, argv, envp);
  int e = errno;
  close(mfd);
  return fail_errno(e, "execute sealed copy of oci-init");
}
