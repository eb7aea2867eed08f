import { describe, expect, test } from "bun:test";
import { cgroupLayoutFrom, parentMountFrom, runningInUserNs } from "../src/host.ts";

// A cgroup v1 hybrid host like the project machine, with systemd's shared mounts.
const MOUNTINFO = [
  "23 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw",
  "24 23 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:2 - sysfs sysfs rw",
  "31 24 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755",
  "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct",
  "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory",
  "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd",
  "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw",
  "50 23 0:40 / /var/lib/containers rw,relatime master:7 - xfs /dev/vdb rw",
  "51 50 0:41 / /var/lib/containers/with\\040space rw shared:9 - tmpfs tmpfs rw",
  "60 23 0:44 /nested /srv/pids rw,relatime - cgroup cgroup rw,pids",
  "",
].join("\n");

const PROC_CGROUP = ["9:name=systemd:/user.slice", "4:memory:/oci/c1", "2:cpu,cpuacct:/oci/c1", "8:pids:/nested/c1", "0::/", ""].join("\n");

describe("host facts from /proc texts", () => {
  test("cgroup v1 layout: each hierarchy with the process's own cgroup, mount root kept", () => {
    expect(cgroupLayoutFrom(MOUNTINFO, PROC_CGROUP)).toEqual({
      version: 1,
      hierarchies: [
        { mountpoint: "/sys/fs/cgroup/cpu,cpuacct", root: "/", path: "/oci/c1" },
        { mountpoint: "/sys/fs/cgroup/memory", root: "/", path: "/oci/c1" },
        { mountpoint: "/sys/fs/cgroup/systemd", root: "/", path: "/user.slice" },
        { mountpoint: "/srv/pids", root: "/nested", path: "/nested/c1" },
      ],
    });
  });

  test("pure cgroup v2 host", () => {
    expect(cgroupLayoutFrom("30 23 0:26 / /sys/fs/cgroup rw shared:4 - cgroup2 cgroup2 rw\n", "0::/user.slice\n")).toEqual({ version: 2, mountpoint: "/sys/fs/cgroup" });
    expect(cgroupLayoutFrom("23 1 254:0 / / rw - ext4 /dev/vda rw\n", "")).toBeUndefined();
  });

  test("the mount holding a path, and whether it is shared", () => {
    expect(parentMountFrom(MOUNTINFO, "/tmp/b/rootfs")).toEqual({ path: "/", shared: true });
    expect(parentMountFrom(MOUNTINFO, "/var/lib/containers/x/rootfs")).toEqual({ path: "/var/lib/containers", shared: false });
    expect(parentMountFrom(MOUNTINFO, "/var/lib/containers/with space/r")).toEqual({ path: "/var/lib/containers/with space", shared: true });
    expect(parentMountFrom(MOUNTINFO, "/var/lib/containersX")).toEqual({ path: "/", shared: true });
  });

  test("user namespace detection from uid_map", () => {
    expect(runningInUserNs("         0          0 4294967295\n")).toBe(false);
    expect(runningInUserNs("         0       1000          1\n")).toBe(true);
  });
});
