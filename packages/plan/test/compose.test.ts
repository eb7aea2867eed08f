import { describe, expect, test } from "bun:test";
import { composePlan, PlanError, type ComposeInput, type Op } from "../src/index.ts";

const process = { args: ["/bin/true"], env: ["PATH=/bin"], preserveFds: 0 };
const mntns = { join: [], create: ["mount", "uts"] as const };
const input = (fragments: ComposeInput["fragments"], extra: Partial<ComposeInput> = {}): ComposeInput => ({
  containerId: "c1",
  stage0: "exit",
  fragments,
  process,
  ...extra,
});

function planError(f: () => unknown): PlanError {
  try {
    f();
  } catch (e) {
    if (e instanceof PlanError) return e;
    throw e;
  }
  throw new Error("expected a PlanError");
}

const identity: Op = { op: "identity", uid: 0, gid: 0, additionalGids: [], caps: { bounding: 0n, effective: 0n, permitted: 0n, inheritable: 0n, ambient: 0n } };
const seccomp: Op = { op: "seccomp", filter: new Uint8Array(8), flags: 0 };

describe("composePlan", () => {
  test("phase order: uts, rootfs, pivot, post-pivot, process — whatever the fragment order", () => {
    const plan = composePlan(
      input([
        { processOps: [{ op: "chdir", path: "/" }, identity] },
        { postPivotOps: [{ op: "readonly-root" }] },
        { namespaces: { join: [], create: ["mount", "uts"] } },
        {
          utsOps: [{ op: "sethostname", name: "h" }],
          rootfsOps: [{ op: "propagate", target: "/", flags: 0x84000 }, { op: "bind-rootfs", path: "/b/rootfs" }],
          pivot: { op: "pivot-root" },
        },
      ]),
    );
    expect(plan.ops.map((o) => o.op)).toEqual(["sethostname", "propagate", "bind-rootfs", "pivot-root", "readonly-root", "identity", "chdir"]);
    expect(plan).toMatchObject({ version: 1, containerId: "c1", stage0: "exit", cgroupProcs: [], namespaces: { join: [], create: ["mount", "uts"] }, process });
  });

  test("fragments of one phase keep their relative order", () => {
    const plan = composePlan(
      input([
        { namespaces: mntns, rootfsOps: [{ op: "bind-rootfs", path: "/r" }, { op: "mkdir", path: "/a", mode: 0o755 }], pivot: { op: "chroot" } },
        { rootfsOps: [{ op: "mkdir", path: "/b", mode: 0o755 }] },
      ]),
    );
    expect(plan.ops).toEqual([
      { op: "bind-rootfs", path: "/r" },
      { op: "mkdir", path: "/a", mode: 0o755 },
      { op: "mkdir", path: "/b", mode: 0o755 },
      { op: "chroot" },
    ]);
  });

  test("process ops are sorted: rlimits and friends first, chdir after identity", () => {
    const plan = composePlan(
      input([
        {
          processOps: [
            { op: "chdir", path: "/" },
            identity,
            { op: "home-from-passwd", uid: 0, startHooks: [] },
            { op: "no-new-privs" },
            { op: "umask", mask: 0o22 },
            { op: "selinux-label", label: "l" },
            { op: "apparmor", profile: "p" },
            { op: "scheduler", policy: 0, nice: 0, priority: 0, flags: 0n, runtime: 0n, deadline: 0n, period: 0n },
            { op: "ioprio", ioprio: 1 },
            { op: "personality", persona: 0 },
            { op: "rlimit", resource: 7, name: "RLIMIT_NOFILE", soft: 1n, hard: 1n },
            { op: "rlimit", resource: 4, name: "RLIMIT_CORE", soft: 0n, hard: 0n },
          ],
        },
      ]),
    );
    expect(plan.ops.map((o) => (o.op === "rlimit" ? o.name : o.op))).toEqual([
      "RLIMIT_NOFILE",
      "RLIMIT_CORE",
      "personality",
      "ioprio",
      "scheduler",
      "umask",
      "apparmor",
      "no-new-privs",
      "selinux-label",
      "home-from-passwd",
      "identity",
      "chdir",
    ]);
  });

  test("seccomp goes last with no-new-privs, and before identity without it", () => {
    const withNnp = composePlan(input([{ processOps: [{ op: "no-new-privs" }, identity, { op: "chdir", path: "/" }] }, { processOps: [seccomp] }]));
    expect(withNnp.ops.map((o) => o.op)).toEqual(["no-new-privs", "identity", "chdir", "seccomp"]);
    const without = composePlan(input([{ processOps: [seccomp] }, { processOps: [identity, { op: "chdir", path: "/" }, { op: "home-from-passwd", uid: 0, startHooks: [] }, { op: "selinux-label", label: "l" }] }]));
    // HOME is looked up before the filter: the runtime's read of /etc/passwd is not the container's syscall.
    expect(without.ops.map((o) => o.op)).toEqual(["selinux-label", "home-from-passwd", "seccomp", "identity", "chdir"]);
  });

  test("cgroupProcs: the input's first, then fragments'; must be absolute", () => {
    const plan = composePlan(input([{ cgroupProcs: ["/sys/fs/cgroup/pids/c1/cgroup.procs"] }], { cgroupProcs: ["/sys/fs/cgroup/memory/c1/cgroup.procs"] }));
    expect(plan.cgroupProcs).toEqual(["/sys/fs/cgroup/memory/c1/cgroup.procs", "/sys/fs/cgroup/pids/c1/cgroup.procs"]);
    expect(planError(() => composePlan(input([], { cgroupProcs: ["cgroup.procs"] }))).field).toBe("cgroupProcs[0]");
  });

  test("no namespace fragment: nothing created or joined", () => {
    expect(composePlan(input([{ processOps: [identity] }])).namespaces).toEqual({ join: [], create: [] });
  });

  test("refusals: two namespace plans, two pivots, ops in the wrong phase, duplicates", () => {
    expect(planError(() => composePlan(input([{ namespaces: mntns }, { namespaces: mntns }]))).field).toBe("namespaces");
    expect(planError(() => composePlan(input([{ namespaces: mntns, pivot: { op: "pivot-root" } }, { pivot: { op: "chroot" } }]))).field).toBe("pivot");
    expect(planError(() => composePlan(input([{ namespaces: mntns, rootfsOps: [identity] }]))).message).toBe('rootfsOps[0]: op "identity" does not belong in rootfsOps');
    expect(planError(() => composePlan(input([{ processOps: [{ op: "mkdir", path: "/x", mode: 0 }] }]))).field).toBe("processOps[0]");
    expect(planError(() => composePlan(input([{ namespaces: mntns, utsOps: [{ op: "readonly-root" }] }]))).field).toBe("utsOps[0]");
    expect(planError(() => composePlan(input([{ processOps: [identity] }, { processOps: [identity] }]))).message).toBe('ops: op "identity" appears 2 times; at most once is allowed');
    expect(planError(() => composePlan(input([{ processOps: [{ op: "home-from-passwd", uid: 0, startHooks: [] }, { op: "home-from-passwd", uid: 1, startHooks: [] }] }]))).message).toBe('ops: op "home-from-passwd" appears 2 times; at most once is allowed');
  });

  test("safety nets: no mount or hostname change outside private namespaces", () => {
    expect(planError(() => composePlan(input([{ utsOps: [{ op: "sethostname", name: "h" }] }]))).message).toContain("private UTS namespace");
    expect(
      planError(() => composePlan(input([{ namespaces: { join: [], create: ["pid"] }, rootfsOps: [{ op: "bind-rootfs", path: "/r" }], pivot: { op: "pivot-root" } }]))).message,
    ).toContain("needs a new mount namespace");
    expect(
      planError(() =>
        composePlan(input([{ namespaces: { join: [{ type: "mount", path: "/proc/1/ns/mnt" }], create: [] }, rootfsOps: [{ op: "mkdir", path: "/x", mode: 0 }] }])),
      ).field,
    ).toBe("rootfsOps");
    expect(planError(() => composePlan(input([{ namespaces: mntns, postPivotOps: [{ op: "mask-path", path: "/proc/kcore" }] }]))).message).toContain("no fragment pivots");
    expect(planError(() => composePlan(input([{ namespaces: mntns, rootfsOps: [{ op: "bind-rootfs", path: "/r" }] }]))).message).toContain("never entered");
    expect(planError(() => composePlan(input([{ namespaces: mntns, rootfsOps: [{ op: "mkdir", path: "/x", mode: 0 }, { op: "bind-rootfs", path: "/r" }], pivot: { op: "pivot-root" } }]))).message).toBe(
      'rootfsOps[0]: op "mkdir" works inside the rootfs but comes before bind-rootfs',
    );
    expect(planError(() => composePlan(input([{ namespaces: mntns, rootfsOps: [{ op: "propagate", target: "/", flags: 0 }], pivot: { op: "chroot" } }]))).message).toContain(
      "without a bind-rootfs",
    );
    // oom-score-adj and sysctl alone need no mount namespace
    expect(composePlan(input([{ rootfsOps: [{ op: "oom-score-adj", value: 5 }] }])).ops).toEqual([{ op: "oom-score-adj", value: 5 }]);
  });

  test("process: args required, preserveFds a non-negative integer, execFifo kept", () => {
    expect(planError(() => composePlan(input([], { process: { ...process, args: [] } }))).field).toBe("process.args");
    expect(planError(() => composePlan(input([], { process: { ...process, preserveFds: -1 } }))).field).toBe("process.preserveFds");
    expect(composePlan(input([], { process: { ...process, execFifo: "/run/x/exec.fifo" } })).process.execFifo).toBe("/run/x/exec.fifo");
    expect(planError(() => composePlan(input([], { containerId: "" }))).field).toBe("containerId");
  });

  test("pure: the same input gives equal plans, inputs untouched", () => {
    const frags: ComposeInput["fragments"] = [{ processOps: [{ op: "chdir", path: "/" }, identity] }];
    const before = JSON.stringify(frags, (_, v) => (typeof v === "bigint" ? `${v}n` : v));
    const a = composePlan(input(frags));
    const b = composePlan(input(frags));
    expect(a).toEqual(b);
    expect(JSON.stringify(frags, (_, v) => (typeof v === "bigint" ? `${v}n` : v))).toBe(before);
  });
});
