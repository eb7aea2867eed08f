import { describe, expect, test } from "bun:test";
import { PlanError, type NamespacePlan, type Op } from "@oci-tools/plan";
import { defaultSpec, type LoadedSpec, type Spec } from "@oci-tools/spec";
import { bindSources, DEFAULT_DEVICES, MS, planRootfs, type MountSpec, type RootfsOptions } from "../src/index.ts";

const _fromSpec: MountSpec = {} as Spec;
const _fromLoaded: MountSpec = {} as LoadedSpec;

const BUNDLE = "/b";
const mntns: NamespacePlan = { join: [], create: ["mount"] };
const allns: NamespacePlan = { join: [], create: ["ipc", "uts", "network", "pid", "mount"] };
const userns: NamespacePlan = {
  join: [],
  create: ["user", "ipc", "uts", "network", "pid", "mount"],
  idMappings: { uid: [{ containerID: 0, hostID: 1000, size: 1 }], gid: [{ containerID: 0, hostID: 1000, size: 1 }], setgroups: "allow" },
};

const opts = (o: Partial<RootfsOptions> = {}): RootfsOptions => ({ bundleDir: BUNDLE, namespaces: mntns, ...o });
const base = (extra: Partial<MountSpec> = {}): MountSpec => ({ root: { path: "rootfs" }, ...extra });

function planError(f: () => unknown): PlanError {
  try {
    f();
  } catch (e) {
    if (e instanceof PlanError) return e;
    throw e;
  }
  throw new Error("expected a PlanError");
}

/** The mount ops of the spec's mounts (skipping propagation, bind-rootfs and /dev set-up). */
function mountsOf(spec: MountSpec, o: Partial<RootfsOptions> = {}): Op[] {
  const plan = planRootfs(spec, opts(o));
  return plan.rootfsOps.filter((op) => op.op === "mount" && op.target !== "/dev/console");
}

describe("root, propagation, pivot", () => {
  test("no mounts: rslave /, bind-rootfs relative to the bundle, devices, links, pivot-root", () => {
    const plan = planRootfs(base(), opts());
    expect(plan.utsOps).toEqual([]);
    expect(plan.rootfsOps).toEqual([
      { op: "propagate", target: "/", flags: MS.SLAVE | MS.REC },
      { op: "bind-rootfs", path: "/b/rootfs" },
      { op: "mkdir", path: "/dev", mode: 0o755 },
      ...DEFAULT_DEVICES.map((d) => ({ op: "mknod" as const, path: d.path, kind: d.kind, major: d.major, minor: d.minor, mode: 0o666, uid: 0, gid: 0 })),
      { op: "symlink", target: "pts/ptmx", linkpath: "/dev/ptmx" },
      { op: "symlink", target: "/proc/self/fd", linkpath: "/dev/fd" },
      { op: "symlink", target: "/proc/self/fd/0", linkpath: "/dev/stdin" },
      { op: "symlink", target: "/proc/self/fd/1", linkpath: "/dev/stdout" },
      { op: "symlink", target: "/proc/self/fd/2", linkpath: "/dev/stderr" },
    ]);
    expect(plan.pivot).toEqual({ op: "pivot-root" });
    expect(plan.postPivotOps).toEqual([]);
  });

  test("default devices are runc's: null, random, full, tty, zero, urandom", () => {
    expect(DEFAULT_DEVICES.map((d) => [d.path, d.major, d.minor])).toEqual([
      ["/dev/null", 1, 3],
      ["/dev/random", 1, 8],
      ["/dev/full", 1, 7],
      ["/dev/tty", 5, 0],
      ["/dev/zero", 1, 5],
      ["/dev/urandom", 1, 9],
    ]);
  });

  test("absolute root.path is kept, normalized", () => {
    expect(planRootfs({ root: { path: "/var/lib/c1/rootfs/" } }, opts()).rootfsOps[1]).toEqual({ op: "bind-rootfs", path: "/var/lib/c1/rootfs/" });
    expect(planRootfs({ root: { path: "./x/../rootfs" } }, opts()).rootfsOps[1]).toEqual({ op: "bind-rootfs", path: "/b/rootfs" });
  });

  test("noPivot chroots", () => {
    expect(planRootfs(base(), opts({ noPivot: true })).pivot).toEqual({ op: "chroot" });
  });

  test("readonly root comes after pivot", () => {
    expect(planRootfs(base({ root: { path: "rootfs", readonly: true } }), opts()).postPivotOps).toEqual([{ op: "readonly-root" }]);
  });

  const propagations: Record<string, number> = {
    private: MS.PRIVATE,
    rprivate: MS.PRIVATE | MS.REC,
    shared: MS.SHARED,
    rshared: MS.SHARED | MS.REC,
    slave: MS.SLAVE,
    rslave: MS.SLAVE | MS.REC,
    unbindable: MS.UNBINDABLE,
    runbindable: MS.UNBINDABLE | MS.REC,
  };
  for (const [name, flags] of Object.entries(propagations)) {
    test(`rootfsPropagation ${name}`, () => {
      expect(planRootfs(base({ linux: { rootfsPropagation: name } }), opts()).rootfsOps[0]).toEqual({ op: "propagate", target: "/", flags });
    });
  }
  test("the mount holding the rootfs is made private when still shared (runc's rootfsParentMountPrivate)", () => {
    const ops = (rootfsPropagation: string | undefined, parent: { path: string; shared: boolean }) =>
      planRootfs(base(rootfsPropagation ? { linux: { rootfsPropagation } } : {}), opts({ rootfsParentMount: parent })).rootfsOps.slice(0, 3).map((o) => o.op === "propagate" && `${o.target} ${o.flags}`);
    // recursive flags decide for every mount
    expect(ops(undefined, { path: "/var/lib", shared: true })).toEqual([`/ ${MS.SLAVE | MS.REC}`, false, false]);
    expect(ops("rshared", { path: "/var/lib", shared: false })).toEqual([`/ ${MS.SHARED | MS.REC}`, `/var/lib ${MS.PRIVATE}`, false]);
    // a plain flag decides for "/" only
    expect(ops("shared", { path: "/", shared: false })).toEqual([`/ ${MS.SHARED}`, `/ ${MS.PRIVATE}`, false]);
    expect(ops("slave", { path: "/", shared: true })).toEqual([`/ ${MS.SLAVE}`, false, false]);
    expect(ops("private", { path: "/srv", shared: true })).toEqual([`/ ${MS.PRIVATE}`, `/srv ${MS.PRIVATE}`, false]);
    expect(ops("shared", { path: "/srv", shared: false })).toEqual([`/ ${MS.SHARED}`, false, false]);
  });

  test("unknown rootfsPropagation is an error", () => {
    expect(planError(() => planRootfs(base({ linux: { rootfsPropagation: "recursive" } }), opts())).message).toContain(
      'linux.rootfsPropagation: "recursive" is not supported',
    );
  });

  test("a new mount namespace is required; joining one is refused", () => {
    expect(planError(() => planRootfs(base(), opts({ namespaces: { join: [], create: ["pid"] } }))).message).toBe(
      'linux.namespaces: setting up a rootfs needs a new mount namespace ("mount" in linux.namespaces)',
    );
    expect(planError(() => planRootfs(base(), opts({ namespaces: { join: [{ type: "mount", path: "/proc/1/ns/mnt" }], create: [] } }))).message).toContain(
      "inside the existing mount namespace /proc/1/ns/mnt would change it",
    );
  });

  test("root.path and an absolute bundle are required", () => {
    expect(planError(() => planRootfs({}, opts())).field).toBe("root.path");
    expect(planError(() => planRootfs(base(), opts({ bundleDir: "rel" }))).field).toBe("bundleDir");
  });
});

describe("bind mounts", () => {
  const kinds = new Map<string, "file" | "dir">([
    ["/volumes/testing", "dir"],
    ["/etc/resolv.conf", "file"],
    ["/b/local", "dir"],
    ["/proc", "dir"],
  ]);

  test("the seed's /data: rbind rw → MS_BIND|MS_REC, no remount", () => {
    const ops = mountsOf(base({ mounts: [{ destination: "/data", type: "bind", source: "/volumes/testing", options: ["rbind", "rw"] }] }), {
      sourceKinds: kinds,
    });
    expect(ops).toEqual([{ op: "mount", source: "/volumes/testing", target: "/data", fstype: "bind", flags: MS.BIND | MS.REC, data: "", create: "dir" }]);
  });

  test("ro,nosuid,nodev,noexec on a bind become the remount's flags", () => {
    const ops = mountsOf(
      base({ mounts: [{ destination: "/etc/resolv.conf", type: "none", source: "/etc/resolv.conf", options: ["bind", "ro", "nosuid", "nodev", "noexec", "relatime"] }] }),
      { sourceKinds: kinds },
    );
    expect(ops).toEqual([
      {
        op: "mount",
        source: "/etc/resolv.conf",
        target: "/etc/resolv.conf",
        fstype: "bind",
        flags: MS.BIND,
        data: "",
        create: "file",
        remountFlags: MS.BIND | MS.REMOUNT | MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC | MS.RELATIME,
      },
    ]);
  });

  test("each per-mount flag alone triggers a remount carrying exactly it", () => {
    for (const [option, flag] of [
      ["ro", MS.RDONLY],
      ["nosuid", MS.NOSUID],
      ["nodev", MS.NODEV],
      ["noexec", MS.NOEXEC],
      ["noatime", MS.NOATIME],
      ["nodiratime", MS.NODIRATIME],
      ["relatime", MS.RELATIME],
      ["strictatime", MS.STRICTATIME],
      ["nosymfollow", MS.NOSYMFOLLOW],
    ] as const) {
      const [op] = mountsOf(base({ mounts: [{ destination: "/x", source: "/volumes/testing", options: ["rbind", option] }] }), { sourceKinds: kinds });
      expect(op).toMatchObject({ flags: MS.BIND | MS.REC, remountFlags: MS.BIND | MS.REMOUNT | flag });
    }
  });

  test("relative bind source is relative to the bundle; type is ignored; type bind alone binds", () => {
    const ops = mountsOf(
      base({
        mounts: [
          { destination: "/l", type: "tmpfs", source: "local", options: ["bind"] },
          { destination: "/m", type: "bind", source: "/volumes/testing" },
        ],
      }),
      { sourceKinds: kinds },
    );
    expect(ops.map((o) => o.op === "mount" && [o.source, o.fstype, o.flags])).toEqual([
      ["/b/local", "bind", MS.BIND],
      ["/volumes/testing", "bind", MS.BIND],
    ]);
  });

  test("bindSources lists what to stat, resolved and deduplicated", () => {
    expect(
      bindSources(
        base({
          mounts: [
            { destination: "/a", source: "local", options: ["rbind"] },
            { destination: "/b", source: "/volumes/testing", type: "bind" },
            { destination: "/c", source: "/volumes/testing", options: ["bind"] },
            { destination: "/tmp", source: "tmpfs", type: "tmpfs" },
          ],
        }),
        BUNDLE,
      ),
    ).toEqual(["/b/local", "/volumes/testing"]);
  });

  test("an unknown source kind, and a bind without source, are errors", () => {
    expect(planError(() => planRootfs(base({ mounts: [{ destination: "/x", source: "/nope", options: ["bind"] }] }), opts({ sourceKinds: kinds }))).message).toBe(
      "mounts[0].source: kind of bind source /nope is unknown (stat it and pass it in sourceKinds)",
    );
    expect(planError(() => planRootfs(base({ mounts: [{ destination: "/x", options: ["bind"] }] }), opts())).field).toBe("mounts[0].source");
  });

  test("propagation option on a mount", () => {
    const [op] = mountsOf(base({ mounts: [{ destination: "/x", source: "/volumes/testing", options: ["rbind", "rshared"] }] }), { sourceKinds: kinds });
    expect(op).toMatchObject({ propagation: MS.SHARED | MS.REC });
    expect(planError(() => mountsOf(base({ mounts: [{ destination: "/x", source: "/volumes/testing", options: ["rbind", "rshared", "private"] }] }), { sourceKinds: kinds })).field).toBe(
      "mounts[0].options",
    );
  });

  test("binds inside /proc: only runc's allowlist; onto /proc only from /proc", () => {
    const at = (destination: string, source = "/volumes/testing") => () =>
      planRootfs(base({ mounts: [{ destination, source, options: ["bind"] }] }), opts({ sourceKinds: kinds }));
    expect(planError(at("/proc/self/attr")).message).toBe('mounts[0].destination: "/proc/self/attr" cannot be mounted because it is inside /proc');
    expect(planError(at("/proc/sys/../self/attr/current")).message).toContain('"/proc/self/attr/current"');
    expect(planError(at("/proc")).message).toContain("not of type proc");
    expect(at("/proc", "/proc")).not.toThrow();
    for (const ok of ["/proc/cpuinfo", "/proc/meminfo", "/proc/stat", "/proc/uptime", "/proc/diskstats", "/proc/swaps", "/proc/loadavg", "/proc/slabinfo", "/proc/net/dev"]) {
      expect(at(ok)).not.toThrow();
    }
    expect(at("/procfs/x")).not.toThrow();
  });

  test("a bind of /dev turns off /dev set-up (runc's needsSetupDev)", () => {
    const plan = planRootfs(base({ mounts: [{ destination: "/dev/", source: "/volumes/testing", options: ["rbind"] }] }), opts({ sourceKinds: kinds }));
    expect(plan.rootfsOps.filter((o) => o.op === "mknod" || o.op === "symlink")).toEqual([]);
  });

  test("idmapped mounts are refused", () => {
    expect(
      planError(() => planRootfs(base({ mounts: [{ destination: "/x", source: "/volumes/testing", options: ["bind"], uidMappings: [] }] }), opts({ sourceKinds: kinds }))).message,
    ).toContain("idmapped mounts");
  });
});

describe("filesystem mounts", () => {
  test("the seed's /tmp: tmpfs nosuid|strictatime, data mode=755,size=65536k, dir created", () => {
    expect(mountsOf(base({ mounts: [{ destination: "/tmp", type: "tmpfs", source: "tmpfs", options: ["nosuid", "strictatime", "mode=755", "size=65536k"] }] }))).toEqual([
      { op: "mount", source: "tmpfs", target: "/tmp", fstype: "tmpfs", flags: MS.NOSUID | MS.STRICTATIME, data: "mode=755,size=65536k", create: "dir" },
    ]);
  });

  test("a ro tmpfs is mounted rw and bind-remounted ro after pivot (runc's finalizeRootfs/remountReadonly)", () => {
    const plan = planRootfs(base({ mounts: [{ destination: "/ro", type: "tmpfs", source: "tmpfs", options: ["ro", "nodev", "size=1m"] }] }), opts());
    expect(plan.rootfsOps.find((o) => o.op === "mount")).toEqual({ op: "mount", source: "tmpfs", target: "/ro", fstype: "tmpfs", flags: MS.NODEV, data: "size=1m", create: "dir" });
    expect(plan.postPivotOps).toEqual([
      { op: "mount", source: "", target: "/ro", fstype: "", flags: MS.RDONLY | MS.NODEV | MS.REMOUNT | MS.BIND, data: "", create: "none" },
    ]);
  });

  test("a ro /dev of another type is delayed too; other ro mounts are not", () => {
    const plan = planRootfs(
      base({
        mounts: [
          { destination: "/dev", type: "devtmpfs", source: "udev", options: ["ro"] },
          { destination: "/sys", type: "sysfs", source: "sysfs", options: ["ro", "nosuid"] },
        ],
      }),
      opts(),
    );
    expect(plan.rootfsOps.filter((o) => o.op === "mount").map((o) => o.op === "mount" && [o.target, o.flags])).toEqual([
      ["/dev", 0],
      ["/sys", MS.RDONLY | MS.NOSUID],
    ]);
    expect(plan.postPivotOps).toEqual([{ op: "mount", source: "", target: "/dev", fstype: "", flags: MS.RDONLY | MS.REMOUNT | MS.BIND, data: "", create: "none" }]);
  });

  test("destinations are normalized; relative ones are taken from / like runc", () => {
    expect(mountsOf(base({ mounts: [{ destination: "run//lock/", type: "tmpfs", source: "tmpfs" }] }))[0]).toMatchObject({ target: "/run/lock" });
    expect(mountsOf(base({ mounts: [{ destination: "/a/../../b", type: "tmpfs", source: "tmpfs" }] }))[0]).toMatchObject({ target: "/b" });
  });

  test("a non-bind mount needs a type; other types pass through with data", () => {
    expect(planError(() => planRootfs(base({ mounts: [{ destination: "/x", source: "x" }] }), opts())).field).toBe("mounts[0].type");
    expect(mountsOf(base({ mounts: [{ destination: "/m", type: "overlay", source: "overlay", options: ["lowerdir=/l", "upperdir=/u", "workdir=/w", "ro"] }] }))).toEqual([
      { op: "mount", source: "overlay", target: "/m", fstype: "overlay", flags: MS.RDONLY, data: "lowerdir=/l,upperdir=/u,workdir=/w", create: "dir" },
    ]);
  });

  test("proc only on /proc; other types not inside /proc; tmpfs inside /proc allowed as runc", () => {
    expect(planError(() => planRootfs(base({ mounts: [{ destination: "/proc/sys", type: "proc", source: "proc" }] }), opts())).message).toContain("inside /proc");
    expect(planError(() => planRootfs(base({ mounts: [{ destination: "/proc", type: "overlay", source: "o" }] }), opts())).message).toContain("not of type proc");
    expect(() => planRootfs(base({ mounts: [{ destination: "/proc/scsi", type: "tmpfs", source: "tmpfs" }] }), opts())).not.toThrow();
  });

  test("option errors name the mount", () => {
    expect(planError(() => planRootfs(base({ mounts: [{ destination: "/t", type: "tmpfs", source: "tmpfs", options: ["tmpcopyup"] }] }), opts())).message).toBe(
      "mounts[0].options: tmpcopyup (copying the directory's contents into the new tmpfs) is not supported",
    );
  });

  test("the default config (runc spec) plans runc's sequence", () => {
    const spec = defaultSpec();
    const plan = planRootfs(spec, {
      bundleDir: BUNDLE,
      namespaces: allns,
      cgroupLayout: { version: 1, hierarchies: [{ mountpoint: "/sys/fs/cgroup/memory", root: "/", path: "/oci/c1" }] },
    });
    expect(plan.utsOps).toEqual([{ op: "sethostname", name: "runc" }]);
    expect(plan.rootfsOps.filter((o) => o.op === "mount").map((o) => o.op === "mount" && `${o.fstype} ${o.target} ${o.flags} ${o.data}`)).toEqual([
      `proc /proc 0 `,
      `tmpfs /dev ${MS.NOSUID | MS.STRICTATIME} mode=755,size=65536k`,
      `devpts /dev/pts ${MS.NOSUID | MS.NOEXEC} newinstance,ptmxmode=0666,mode=0620,gid=5`,
      `tmpfs /dev/shm ${MS.NOSUID | MS.NOEXEC | MS.NODEV} mode=1777,size=65536k`,
      `mqueue /dev/mqueue ${MS.NOSUID | MS.NOEXEC | MS.NODEV} `,
      `sysfs /sys ${MS.NOSUID | MS.NOEXEC | MS.NODEV | MS.RDONLY} `,
      `tmpfs /sys/fs/cgroup ${MS.NOSUID | MS.NOEXEC | MS.NODEV} mode=755`,
      `bind /sys/fs/cgroup/memory ${MS.BIND | MS.REC} `,
    ]);
    expect(plan.postPivotOps).toEqual([
      { op: "readonly-root" },
      ...["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"].map((path) => ({ op: "readonly-path" as const, path })),
      ...["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"].map(
        (path) => ({ op: "mask-path" as const, path }),
      ),
    ]);
  });
});

describe("devices", () => {
  test("inside a user namespace devices are bind mounts of the host nodes", () => {
    const plan = planRootfs(base(), opts({ namespaces: userns }));
    expect(plan.rootfsOps.filter((o) => o.op === "bind-device")).toEqual(DEFAULT_DEVICES.map((d) => ({ op: "bind-device", source: d.path, path: d.path })));
    expect(plan.rootfsOps.some((o) => o.op === "mknod")).toBe(false);
    const nested = planRootfs(base(), opts({ runningInUserNs: true }));
    expect(nested.rootfsOps.filter((o) => o.op === "bind-device")).toHaveLength(DEFAULT_DEVICES.length);
  });

  test("linux.devices: types c/u/b/p, defaults for mode/uid/gid, parent dirs, spec overrides a default", () => {
    const plan = planRootfs(
      base({
        linux: {
          devices: [
            { path: "/dev/fuse", type: "c", major: 10, minor: 229, fileMode: 0o20666, uid: 0, gid: 0 },
            { path: "/dev/net/tun", type: "u", major: 10, minor: 200 },
            { path: "/dev/sda", type: "b", major: 8, minor: 0, fileMode: 0o660, gid: 6 },
            { path: "/dev/fifo0", type: "p" },
            { path: "/dev/null", type: "c", major: 1, minor: 3, fileMode: 0o600, uid: 5 },
          ],
        },
      }),
      opts(),
    );
    const dev = plan.rootfsOps.filter((o) => o.op === "mknod" || o.op === "mkdir");
    expect(dev).toEqual([
      { op: "mkdir", path: "/dev", mode: 0o755 },
      { op: "mknod", path: "/dev/random", kind: "c", major: 1, minor: 8, mode: 0o666, uid: 0, gid: 0 },
      { op: "mknod", path: "/dev/full", kind: "c", major: 1, minor: 7, mode: 0o666, uid: 0, gid: 0 },
      { op: "mknod", path: "/dev/tty", kind: "c", major: 5, minor: 0, mode: 0o666, uid: 0, gid: 0 },
      { op: "mknod", path: "/dev/zero", kind: "c", major: 1, minor: 5, mode: 0o666, uid: 0, gid: 0 },
      { op: "mknod", path: "/dev/urandom", kind: "c", major: 1, minor: 9, mode: 0o666, uid: 0, gid: 0 },
      { op: "mknod", path: "/dev/fuse", kind: "c", major: 10, minor: 229, mode: 0o666, uid: 0, gid: 0 },
      { op: "mkdir", path: "/dev/net", mode: 0o755 },
      { op: "mknod", path: "/dev/net/tun", kind: "c", major: 10, minor: 200, mode: 0o666, uid: 0, gid: 0 },
      { op: "mknod", path: "/dev/sda", kind: "b", major: 8, minor: 0, mode: 0o660, uid: 0, gid: 6 },
      { op: "mknod", path: "/dev/fifo0", kind: "p", major: 0, minor: 0, mode: 0o666, uid: 0, gid: 0 },
      { op: "mknod", path: "/dev/null", kind: "c", major: 1, minor: 3, mode: 0o600, uid: 5, gid: 0 },
    ]);
  });

  test("/dev/ptmx in linux.devices is not a node: the pts/ptmx link stays", () => {
    const plan = planRootfs(base({ linux: { devices: [{ path: "/dev/ptmx", type: "c", major: 5, minor: 2 }] } }), opts());
    expect(plan.rootfsOps.some((o) => o.op === "mknod" && o.path === "/dev/ptmx")).toBe(false);
    expect(plan.rootfsOps).toContainEqual({ op: "symlink", target: "pts/ptmx", linkpath: "/dev/ptmx" });
  });

  test("bad devices are errors", () => {
    const dev = (d: object) => () => planRootfs(base({ linux: { devices: [d as never] } }), opts());
    expect(planError(dev({ path: "/dev/x", type: "x", major: 1, minor: 1 })).message).toBe('linux.devices[0].type: invalid device type "x" (one of c, u, b, p)');
    expect(planError(dev({ path: "/dev/x", type: "c", minor: 1 })).field).toBe("linux.devices[0].major");
    expect(planError(dev({ path: "dev/x", type: "c", major: 1, minor: 1 })).field).toBe("linux.devices[0].path");
    expect(planError(dev({ path: "/dev/../etc/x", type: "c", major: 1, minor: 1 })).field).toBe("linux.devices[0].path");
    expect(planError(dev({ path: "/dev/x", type: "c", major: 4096, minor: 1 })).field).toBe("linux.devices[0].major");
    expect(planError(dev({ path: "/dev/x", type: "c", major: 1, minor: 1, uid: -1 })).field).toBe("linux.devices[0].uid");
    expect(
      planError(() => planRootfs(base({ linux: { devices: [{ path: "/dev/x", type: "p" }, { path: "/dev/x", type: "p" }] } }), opts())).message,
    ).toContain("listed twice");
  });

  test("/dev/core only when the host has /proc/kcore", () => {
    expect(planRootfs(base(), opts({ procKcore: true })).rootfsOps).toContainEqual({ op: "symlink", target: "/proc/kcore", linkpath: "/dev/core" });
    expect(planRootfs(base(), opts()).rootfsOps.some((o) => o.op === "symlink" && o.linkpath === "/dev/core")).toBe(false);
  });

  test("console: the pty is bound over /dev/console after the /dev links, before pivot", () => {
    const plan = planRootfs(base(), opts({ console: { source: "/dev/pts/7" } }));
    expect(plan.rootfsOps.at(-1)).toEqual({ op: "mount", source: "/dev/pts/7", target: "/dev/console", fstype: "bind", flags: MS.BIND, data: "", create: "file" });
    expect(planError(() => planRootfs(base(), opts({ console: { source: "pts/7" } }))).field).toBe("console.source");
  });
});

describe("cgroup mounts", () => {
  const cg = { destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup", options: ["nosuid", "noexec", "nodev", "relatime", "ro"] };
  const v1 = {
    version: 1 as const,
    hierarchies: [
      { mountpoint: "/sys/fs/cgroup/cpu,cpuacct", root: "/", path: "/oci/c1" },
      { mountpoint: "/sys/fs/cgroup/memory", root: "/", path: "/oci/c1" },
      { mountpoint: "/sys/fs/cgroup/systemd", root: "/", path: "/oci/c1" },
    ],
  };
  const ro = MS.NOSUID | MS.NOEXEC | MS.NODEV | MS.RELATIME | MS.RDONLY;

  test("v1 without cgroupns: tmpfs (left rw, as runc 1.1), rbinds of the container's own cgroups, co-mount links", () => {
    const plan = planRootfs(base({ mounts: [cg] }), opts({ cgroupLayout: v1 }));
    const ops = plan.rootfsOps.slice(2, plan.rootfsOps.findIndex((o) => o.op === "mkdir"));
    expect(ops).toEqual([
      { op: "mount", source: "tmpfs", target: "/sys/fs/cgroup", fstype: "tmpfs", flags: MS.NOSUID | MS.NODEV | MS.NOEXEC, data: "mode=755", create: "dir" },
      { op: "mount", source: "/sys/fs/cgroup/cpu,cpuacct/oci/c1", target: "/sys/fs/cgroup/cpu,cpuacct", fstype: "bind", flags: MS.BIND | MS.REC, data: "", create: "dir", remountFlags: MS.BIND | MS.REMOUNT | ro },
      { op: "mount", source: "/sys/fs/cgroup/memory/oci/c1", target: "/sys/fs/cgroup/memory", fstype: "bind", flags: MS.BIND | MS.REC, data: "", create: "dir", remountFlags: MS.BIND | MS.REMOUNT | ro },
      { op: "mount", source: "/sys/fs/cgroup/systemd/oci/c1", target: "/sys/fs/cgroup/systemd", fstype: "bind", flags: MS.BIND | MS.REC, data: "", create: "dir", remountFlags: MS.BIND | MS.REMOUNT | ro },
      { op: "symlink", target: "cpu,cpuacct", linkpath: "/sys/fs/cgroup/cpu" },
      { op: "symlink", target: "cpu,cpuacct", linkpath: "/sys/fs/cgroup/cpuacct" },
    ]);
  });

  test("v1 with a mount root other than /: the source is relative to it", () => {
    const plan = planRootfs(base({ mounts: [{ ...cg, options: [] }] }), opts({ cgroupLayout: { version: 1, hierarchies: [{ mountpoint: "/sys/fs/cgroup/pids", root: "/outer", path: "/outer/inner" }] } }));
    expect(plan.rootfsOps).toContainEqual({ op: "mount", source: "/sys/fs/cgroup/pids/inner", target: "/sys/fs/cgroup/pids", fstype: "bind", flags: MS.BIND | MS.REC, data: "", create: "dir" });
    expect(
      planError(() => planRootfs(base({ mounts: [cg] }), opts({ cgroupLayout: { version: 1, hierarchies: [{ mountpoint: "/sys/fs/cgroup/pids", root: "/outer", path: "/elsewhere" }] } }))).message,
    ).toContain("outside the mount's root");
  });

  test("v1 with a new cgroup namespace: fresh cgroup mounts per hierarchy, name=systemd", () => {
    const plan = planRootfs(base({ mounts: [cg] }), opts({ cgroupLayout: v1, namespaces: { join: [], create: ["mount", "cgroup"] } }));
    const mounts = plan.rootfsOps.filter((o) => o.op === "mount" && o.fstype === "cgroup");
    expect(mounts).toEqual([
      { op: "mount", source: "cgroup", target: "/sys/fs/cgroup/cpu,cpuacct", fstype: "cgroup", flags: MS.NOSUID | MS.NODEV | MS.NOEXEC | MS.RDONLY, data: "cpu,cpuacct", create: "dir" },
      { op: "mount", source: "cgroup", target: "/sys/fs/cgroup/memory", fstype: "cgroup", flags: MS.NOSUID | MS.NODEV | MS.NOEXEC | MS.RDONLY, data: "memory", create: "dir" },
      { op: "mount", source: "systemd", target: "/sys/fs/cgroup/systemd", fstype: "cgroup", flags: MS.NOSUID | MS.NODEV | MS.NOEXEC | MS.RDONLY, data: "name=systemd", create: "dir" },
    ]);
  });

  test("v2: cgroup2 mount; in a user namespace without cgroupns, a bind of the host's", () => {
    const v2 = { version: 2 as const, mountpoint: "/sys/fs/cgroup" };
    expect(mountsOf(base({ mounts: [cg] }), { cgroupLayout: v2 })).toEqual([
      { op: "mount", source: "cgroup", target: "/sys/fs/cgroup", fstype: "cgroup2", flags: ro, data: "", create: "dir" },
    ]);
    expect(mountsOf(base({ mounts: [cg] }), { cgroupLayout: v2, namespaces: userns })).toEqual([
      { op: "mount", source: "/sys/fs/cgroup", target: "/sys/fs/cgroup", fstype: "bind", flags: MS.BIND, data: "", create: "dir", remountFlags: MS.BIND | MS.REMOUNT | ro },
    ]);
    expect(mountsOf(base({ mounts: [cg] }), { cgroupLayout: v2, namespaces: { ...userns, create: [...userns.create, "cgroup"] } })[0]).toMatchObject({ fstype: "cgroup2" });
  });

  test("a cgroup mount without the host layout is an error", () => {
    expect(planError(() => planRootfs(base({ mounts: [cg] }), opts())).message).toBe("mounts[0]: a cgroup mount needs the host's cgroup layout (option cgroupLayout)");
  });
});

describe("proc and mqueue in a new user namespace", () => {
  const proc = { destination: "/proc", type: "proc", source: "proc" };
  const mq = { destination: "/dev/mqueue", type: "mqueue", source: "mqueue" };
  test("fine with new pid and ipc namespaces", () => {
    expect(mountsOf(base({ mounts: [proc, mq] }), { namespaces: userns }).map((o) => o.op === "mount" && o.fstype)).toEqual(["proc", "mqueue"]);
  });
  test("a joined pid namespace cannot get a proc mount from a new user namespace", () => {
    const ns: NamespacePlan = { ...userns, create: userns.create.filter((t) => t !== "pid"), join: [{ type: "pid", path: "/proc/9/ns/pid" }] };
    expect(planError(() => planRootfs(base({ mounts: [proc] }), opts({ namespaces: ns }))).message).toBe(
      "mounts[0]: a proc mount in a new user namespace needs a new pid namespace too: the joined pid namespace /proc/9/ns/pid belongs to another user namespace (the kernel refuses with EPERM)",
    );
  });
  test("nor the host's ipc namespace an mqueue mount", () => {
    const ns: NamespacePlan = { ...userns, create: userns.create.filter((t) => t !== "ipc") };
    expect(planError(() => planRootfs(base({ mounts: [mq] }), opts({ namespaces: ns }))).message).toContain("the host's ipc namespace belongs to another user namespace");
  });
  test("without a new user namespace there is nothing to check", () => {
    expect(() => planRootfs(base({ mounts: [proc, mq] }), opts())).not.toThrow();
  });
});

describe("sysfs in a user namespace", () => {
  const sys = { destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"] };
  test("with its own netns: a real sysfs", () => {
    expect(mountsOf(base({ mounts: [sys] }), { namespaces: userns })[0]).toMatchObject({ fstype: "sysfs" });
  });
  test("without one: rbind of the host's /sys, remounted with the flags", () => {
    const ns: NamespacePlan = { ...userns, create: userns.create.filter((t) => t !== "network"), join: [{ type: "network", path: "/var/run/netns/x" }] };
    expect(mountsOf(base({ mounts: [sys] }), { namespaces: ns })).toEqual([
      { op: "mount", source: "/sys", target: "/sys", fstype: "bind", flags: MS.BIND | MS.REC, data: "", create: "dir", remountFlags: MS.BIND | MS.REMOUNT | MS.NOSUID | MS.NOEXEC | MS.NODEV | MS.RDONLY },
    ]);
  });
});

describe("hostname, sysctl, oomScoreAdj, cwd, masked and readonly paths", () => {
  test("hostname and domainname need a UTS namespace (created or joined)", () => {
    expect(planRootfs(base({ hostname: "h", domainname: "d" }), opts({ namespaces: allns })).utsOps).toEqual([
      { op: "sethostname", name: "h" },
      { op: "setdomainname", name: "d" },
    ]);
    expect(planRootfs(base({ hostname: "h" }), opts({ namespaces: { join: [{ type: "uts", path: "/proc/1/ns/uts" }], create: ["mount"] } })).utsOps).toHaveLength(1);
    expect(planError(() => planRootfs(base({ hostname: "h" }), opts())).message).toBe("hostname: unable to set hostname without a private UTS namespace");
    expect(planError(() => planRootfs(base({ domainname: "d" }), opts())).message).toBe("domainname: unable to set domainname without a private UTS namespace");
    expect(planRootfs(base({ hostname: "" }), opts()).utsOps).toEqual([]);
    expect(planError(() => planRootfs(base({ hostname: "x".repeat(65) }), opts({ namespaces: allns }))).message).toContain("longer than 64");
  });

  const sysctlWith = (sysctl: Record<string, string>, namespaces: NamespacePlan, joinedNetnsIsHost = false) =>
    planRootfs(base({ linux: { sysctl } }), opts({ namespaces, joinedNetnsIsHost })).postPivotOps;

  test("ipc sysctls need an ipc namespace", () => {
    for (const key of ["kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced", "fs.mqueue.queues_max"]) {
      expect(sysctlWith({ [key]: "1" }, allns)).toEqual([{ op: "sysctl", key, value: "1" }]);
      expect(planError(() => sysctlWith({ [key]: "1" }, mntns)).message).toBe(`linux.sysctl["${key}"]: sysctl "${key}" is not allowed in the host's ipc namespace`);
    }
  });

  test("net.* needs a network namespace that is not the host's", () => {
    expect(sysctlWith({ "net.ipv4.ip_forward": "1" }, allns)).toEqual([{ op: "sysctl", key: "net.ipv4.ip_forward", value: "1" }]);
    const joined: NamespacePlan = { join: [{ type: "network", path: "/var/run/netns/runc" }], create: ["mount"] };
    expect(sysctlWith({ "net.core.somaxconn": "1024" }, joined)).toHaveLength(1);
    expect(planError(() => sysctlWith({ "net.core.somaxconn": "1024" }, joined, true)).message).toContain("is the host's");
    expect(planError(() => sysctlWith({ "net.core.somaxconn": "1024" }, mntns)).message).toContain("host's network namespace");
  });

  test("kernel.domainname with uts; kernel.hostname refused; others not namespaced", () => {
    expect(sysctlWith({ "kernel.domainname": "d" }, allns)).toHaveLength(1);
    expect(planError(() => sysctlWith({ "kernel.hostname": "h" }, allns)).message).toContain('conflicts with the spec\'s "hostname"');
    expect(planError(() => sysctlWith({ "kernel.domainname": "d" }, mntns)).message).toContain("not in a separate kernel namespace");
    expect(planError(() => sysctlWith({ "vm.swappiness": "1" }, allns)).message).toBe('linux.sysctl["vm.swappiness"]: sysctl "vm.swappiness" is not in a separate kernel namespace');
  });

  test("keys that would walk out of /proc/sys are refused", () => {
    for (const key of ["net..ipv4", "net/ipv4/ip_forward", "net.ipv4.", ".net", "net.ipv4.conf.a b"]) {
      expect(planError(() => sysctlWith({ [key]: "1" }, allns)).message).toContain("is not a sysctl name");
    }
  });

  test("oomScoreAdj is written first, range-checked", () => {
    expect(planRootfs(base({ process: { oomScoreAdj: -500 } }), opts()).rootfsOps[0]).toEqual({ op: "oom-score-adj", value: -500 });
    expect(planError(() => planRootfs(base({ process: { oomScoreAdj: 1001 } }), opts())).field).toBe("process.oomScoreAdj");
  });

  test("cwd is created after pivot, before the root turns read-only", () => {
    const plan = planRootfs(base({ root: { path: "rootfs", readonly: true }, process: { cwd: "/work/dir/" } }), opts());
    expect(plan.postPivotOps).toEqual([{ op: "mkdir", path: "/work/dir", mode: 0o755 }, { op: "readonly-root" }]);
    expect(planRootfs(base({ process: { cwd: "/" } }), opts()).postPivotOps).toEqual([]);
    expect(planError(() => planRootfs(base({ process: { cwd: "rel" } }), opts())).field).toBe("process.cwd");
  });

  test("post-pivot order: ro remounts, readonly-root, sysctl, readonly paths, masked paths", () => {
    const plan = planRootfs(
      base({
        root: { path: "rootfs", readonly: true },
        mounts: [{ destination: "/t", type: "tmpfs", source: "tmpfs", options: ["ro"] }],
        linux: { sysctl: { "net.ipv4.ip_forward": "1" }, readonlyPaths: ["/proc/sys"], maskedPaths: ["/proc/kcore"] },
      }),
      opts({ namespaces: allns }),
    );
    expect(plan.postPivotOps.map((o) => o.op)).toEqual(["mount", "readonly-root", "sysctl", "readonly-path", "mask-path"]);
  });

  test("masked and readonly paths must be absolute", () => {
    expect(planError(() => planRootfs(base({ linux: { maskedPaths: ["proc/kcore"] } }), opts())).field).toBe("linux.maskedPaths[0]");
    expect(planError(() => planRootfs(base({ linux: { readonlyPaths: ["/ok", "x"] } }), opts())).field).toBe("linux.readonlyPaths[1]");
  });
});
