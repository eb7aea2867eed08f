/** Sample plans for the encoder tests and the fuzzer's seed corpus. */
import type { Op, Plan } from "../src/index.ts";

/** One op of every kind, with non-default values in every field. */
export const EVERY_OP: readonly Op[] = [
  { op: "sethostname", name: "box" },
  { op: "setdomainname", name: "example.test" },
  { op: "propagate", target: "/", flags: 0x4000 | 0x80000 },
  { op: "bind-rootfs", path: "/var/lib/bundle/rootfs" },
  { op: "mount", source: "tmpfs", target: "/tmp", fstype: "tmpfs", flags: 2 | 0x1000000, data: "mode=755,size=65536k", create: "dir" },
  { op: "mount", source: "/host/data", target: "/data", fstype: "", flags: 0x1000 | 0x4000, data: "", create: "dir", remountFlags: 0x1000 | 0x20 | 1, propagation: 0x40000 },
  { op: "mount", source: "/etc/resolv.conf", target: "/etc/resolv.conf", fstype: "", flags: 0x1000, data: "", create: "file", propagation: 0 },
  { op: "mkdir", path: "/dev/pts", mode: 0o755 },
  { op: "symlink", target: "/proc/self/fd", linkpath: "/dev/fd" },
  { op: "mknod", path: "/dev/null", kind: "c", major: 1, minor: 3, mode: 0o666, uid: 0, gid: 0 },
  { op: "mknod", path: "/dev/sda", kind: "b", major: 8, minor: 0, mode: 0o660, uid: 0, gid: 6 },
  { op: "mknod", path: "/run/p", kind: "p", major: 0, minor: 0, mode: 0o600, uid: 1000, gid: 1000 },
  { op: "bind-device", source: "/dev/zero", path: "/dev/zero" },
  { op: "pivot-root" },
  { op: "chroot" },
  { op: "readonly-root" },
  { op: "mask-path", path: "/proc/kcore" },
  { op: "readonly-path", path: "/proc/sys" },
  { op: "sysctl", key: "net.ipv4.ip_forward", value: "1" },
  { op: "oom-score-adj", value: -500 },
  { op: "rlimit", resource: 7, name: "RLIMIT_NOFILE", soft: 1024n, hard: 0xffffffffffffffffn },
  { op: "umask", mask: 0o022 },
  { op: "personality", persona: 8 },
  { op: "ioprio", ioprio: (2 << 13) | 4 },
  { op: "scheduler", policy: 6, nice: -5, priority: 0, flags: 1n, runtime: 10000000n, deadline: 20000000n, period: 30000000n },
  { op: "apparmor", profile: "docker-default" },
  { op: "selinux-label", label: "system_u:system_r:container_t:s0:c1,c2" },
  { op: "no-new-privs" },
  { op: "identity", uid: 1000, gid: 1000, additionalGids: [10, 20, 4294967294], caps: { bounding: 0x20000420n, effective: 0x20000420n, permitted: 0x20000420n, inheritable: 0n, ambient: 1n << 40n } },
  { op: "seccomp", filter: new Uint8Array([0x20, 0, 0, 0, 0, 0, 0, 0, 0x06, 0, 0, 0, 0, 0, 0xff, 0x7f]), flags: 1 },
  { op: "chdir", path: "/home/user" },
  { op: "sync", point: "createRuntime" },
  { op: "hook", name: "createContainer", index: 2, path: "/usr/bin/hook", args: ["hook", "--phase", "cc"], env: ["A=1", "B="], timeout: 7 },
  { op: "console", rows: 24, cols: 80, mountConsole: true },
  { op: "home-from-passwd", uid: 4294967294, startHooks: [] },
];

export function fullPlan(): Plan {
  return {
    version: 1,
    containerId: "demo-ü",
    stage0: "wait",
    cgroupProcs: ["/sys/fs/cgroup/pids/demo/cgroup.procs", "/sys/fs/cgroup/memory/demo/cgroup.procs"],
    namespaces: {
      join: [{ type: "network", path: "/var/run/netns/runc" }, { type: "ipc", path: "/proc/1/ns/ipc" }],
      create: ["user", "mount", "pid", "uts", "ipc", "cgroup", "time"],
      idMappings: { uid: [{ containerID: 0, hostID: 100000, size: 65536 }], gid: [{ containerID: 0, hostID: 100000, size: 65536 }, { containerID: 65536, hostID: 5, size: 1 }], setgroups: "deny" },
      timeOffsets: { monotonic: { secs: -3600, nanosecs: 5 }, boottime: { secs: 86400, nanosecs: 999999999 } },
    },
    // The home op also names the start hook below (it inherits the process env).
    ops: EVERY_OP.map((op) => (op.op === "home-from-passwd" ? { ...op, startHooks: [0] } : op)),
    process: {
      args: ["sh", "-c", "echo hi"],
      env: ["PATH=/bin", "TERM=xterm"],
      preserveFds: 2,
      execFifo: "/run/oci-tools/demo/exec.fifo",
      startHooks: [
        { op: "hook", name: "startContainer", index: 0, path: "/bin/start-hook", args: [], env: [], timeout: 0 },
        { op: "hook", name: "startContainer", index: 1, path: "/bin/start-hook", args: ["x"], env: ["K=v"], timeout: 60 },
      ],
    },
  };
}

export function minimalPlan(): Plan {
  return {
    version: 1,
    containerId: "m",
    stage0: "exit",
    cgroupProcs: [],
    namespaces: { join: [], create: [] },
    ops: [],
    process: { args: ["/bin/true"], env: [], preserveFds: 0 },
  };
}
