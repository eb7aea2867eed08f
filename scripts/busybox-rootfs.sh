#!/usr/bin/env bash
# busybox-rootfs.sh DIR — a minimal root filesystem from Debian's busybox-static:
# /bin/busybox with a link per applet, /etc/passwd and /etc/group, empty mount points.
set -euo pipefail
dir=${1:?usage: busybox-rootfs.sh DIR}
busybox=$(command -v busybox)
file -L "$busybox" 2>/dev/null | grep -q 'dynamically' && { echo "busybox-rootfs: $busybox is not static (install busybox-static)" >&2; exit 1; }
mkdir -p "$dir"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,root,data,run,var/tmp}
cp "$busybox" "$dir/bin/busybox"
for applet in $("$dir/bin/busybox" --list); do
  [ -e "$dir/bin/$applet" ] || ln -s busybox "$dir/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$dir/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$dir/etc/group"
echo oci-demo > "$dir/etc/hostname"
chmod 1777 "$dir/tmp"
