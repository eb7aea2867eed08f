import { describe, expect, test } from "bun:test";
import { expandSlice, parseCgroupLayout, parseProcCgroup, planCgroup, resolveCgroupPath, cgroupProcsFiles } from "../src/index.ts";

const HYBRID = `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
34 31 0:31 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
35 31 0:32 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
36 31 0:33 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
37 31 0:34 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
38 31 0:35 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset,clone_children
`;
const V2 = `24 1 0:22 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
`;
const COMOUNT = `32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct
33 31 0:29 / /mnt/again rw - cgroup cgroup rw,cpu,cpuacct
`;

const OWN_HYBRID = parseProcCgroup("9:name=systemd:/\n8:pids:/\n6:freezer:/\n4:memory:/process_api/x\n1:cpu:/\n3:cpuset:/\n0::/user.slice\n");

describe("layout", () => {
  test("hybrid: v1 hierarchies plus an empty unified mount", () => {
    const l = parseCgroupLayout(HYBRID);
    expect(l.kind).toBe("hybrid");
    if (l.kind !== "hybrid") return;
    expect(l.unified).toBe("/sys/fs/cgroup/unified");
    expect(l.hierarchies.map((h) => h.controllers.join(","))).toEqual(["cpu", "freezer", "pids", "name=systemd", "memory", "cpuset"]);
  });
  test("v2 only", () => {
    expect(parseCgroupLayout(V2)).toEqual({ kind: "v2", mountpoint: "/sys/fs/cgroup", root: "/" });
  });
  test("co-mounted controllers form one hierarchy; a second mount of it is ignored", () => {
    const l = parseCgroupLayout(COMOUNT);
    expect(l).toEqual({ kind: "v1", hierarchies: [{ controllers: ["cpu", "cpuacct"], mountpoint: "/sys/fs/cgroup/cpu,cpuacct", root: "/" }] });
  });
  test("no cgroup mount is an error", () => {
    expect(() => parseCgroupLayout("1 0 0:1 / / rw - ext4 /dev/sda rw\n")).toThrow(/no cgroup/);
  });
  test("escaped mount points", () => {
    const l = parseCgroupLayout("1 0 0:1 / /a\\040b rw - cgroup2 cgroup2 rw\n");
    expect(l.kind === "v2" && l.mountpoint).toBe("/a b");
  });
  test("/proc/self/cgroup keys are sorted controller lists", () => {
    const m = parseProcCgroup("2:cpuacct,cpu:/a\n0::/b\n");
    expect(m.get("cpu,cpuacct")).toBe("/a");
    expect(m.get("")).toBe("/b");
  });
});

describe("cgroupsPath", () => {
  test("unset → relative <id> (runc's cgroupfs default)", () => {
    expect(resolveCgroupPath({ cgroupsPath: undefined, id: "c1", systemd: false })).toEqual({ kind: "relative", path: "c1" });
  });
  test("absolute and relative", () => {
    expect(resolveCgroupPath({ cgroupsPath: "/libpod_parent/libpod-x", id: "c", systemd: false })).toEqual({ kind: "absolute", path: "/libpod_parent/libpod-x" });
    expect(resolveCgroupPath({ cgroupsPath: "a//b/", id: "c", systemd: false })).toEqual({ kind: "relative", path: "a/b" });
  });
  test("dot-dot and the root are refused", () => {
    expect(() => resolveCgroupPath({ cgroupsPath: "/a/../../etc", id: "c", systemd: false })).toThrow(/\.\./);
    expect(() => resolveCgroupPath({ cgroupsPath: "..", id: "c", systemd: false })).toThrow();
    expect(() => resolveCgroupPath({ cgroupsPath: "/", id: "c", systemd: false })).toThrow(/root/);
  });
  test("systemd slice:prefix:name", () => {
    expect(resolveCgroupPath({ cgroupsPath: "machine-web.slice:libpod:abc", id: "c", systemd: true })).toEqual({
      kind: "absolute",
      path: "/machine.slice/machine-web.slice/libpod-abc.scope",
    });
    expect(resolveCgroupPath({ cgroupsPath: "", id: "c9", systemd: true })).toEqual({ kind: "absolute", path: "/system.slice/oci-run-c9.scope" });
    expect(resolveCgroupPath({ cgroupsPath: ":p:n", id: "c", systemd: true }).path).toBe("/system.slice/p-n.scope");
    expect(resolveCgroupPath({ cgroupsPath: "-.slice:p:n", id: "c", systemd: true }).path).toBe("/p-n.scope");
    expect(resolveCgroupPath({ cgroupsPath: "system.slice:p:my-app.slice", id: "c", systemd: true }).path).toBe("/my.slice/my-app.slice");
    expect(() => resolveCgroupPath({ cgroupsPath: "/not/systemd", id: "c", systemd: true })).toThrow(/slice:prefix:name/);
    expect(() => resolveCgroupPath({ cgroupsPath: "bad--name.slice:p:n", id: "c", systemd: true })).toThrow(/slice/);
  });
  test("expandSlice", () => {
    expect(expandSlice("a-b-c.slice")).toBe("/a.slice/a-b.slice/a-b-c.slice");
    expect(expandSlice("-.slice")).toBe("/");
    expect(() => expandSlice("foo")).toThrow();
  });
});

describe("planCgroup", () => {
  test("hybrid: one dir per hierarchy, relative to our own cgroup, plus unified", () => {
    const p = planCgroup({ layout: parseCgroupLayout(HYBRID), own: OWN_HYBRID, id: "c1" });
    expect(p.version).toBe("v1");
    expect(p.dirs.map((d) => d.path)).toEqual([
      "/sys/fs/cgroup/cpu/c1",
      "/sys/fs/cgroup/freezer/c1",
      "/sys/fs/cgroup/pids/c1",
      "/sys/fs/cgroup/systemd/c1",
      "/sys/fs/cgroup/memory/process_api/x/c1",
      "/sys/fs/cgroup/cpuset/c1",
      "/sys/fs/cgroup/unified/user.slice/c1",
    ]);
    expect(p.freezer).toEqual({ kind: "v1", dir: "/sys/fs/cgroup/freezer/c1" });
    expect(cgroupProcsFiles(p)[0]).toBe("/sys/fs/cgroup/cpu/c1/cgroup.procs");
  });
  test("absolute path ignores our own cgroup", () => {
    const p = planCgroup({ layout: parseCgroupLayout(HYBRID), own: OWN_HYBRID, id: "c1", cgroupsPath: "/k8s/pod1" });
    expect(p.dirs.find((d) => d.controllers.includes("memory"))!.path).toBe("/sys/fs/cgroup/memory/k8s/pod1");
  });
  test("v2: a single dir with cgroup.freeze; limits use v2 file names", () => {
    const p = planCgroup({ layout: parseCgroupLayout(V2), own: parseProcCgroup("0::/user.slice/s\n"), id: "c1", resources: { pids: { limit: 100 }, memory: { limit: 1 << 20 } } });
    expect(p).toEqual({
      version: "v2",
      path: { kind: "relative", path: "c1" },
      dirs: [{ controllers: ["unified"], path: "/sys/fs/cgroup/user.slice/s/c1" }],
      freezer: { kind: "v2", dir: "/sys/fs/cgroup/user.slice/s/c1" },
      limits: [
        { file: "/sys/fs/cgroup/user.slice/s/c1/pids.max", value: "100" },
        { file: "/sys/fs/cgroup/user.slice/s/c1/memory.max", value: "1048576" },
      ],
    });
  });
  test("v1 limits go to their controller's hierarchy", () => {
    const p = planCgroup({ layout: parseCgroupLayout(HYBRID), own: OWN_HYBRID, id: "c1", resources: { pids: { limit: 0 }, memory: { limit: 4096 } } });
    expect(p.limits).toEqual([
      { file: "/sys/fs/cgroup/pids/c1/pids.max", value: "max" },
      { file: "/sys/fs/cgroup/memory/process_api/x/c1/memory.limit_in_bytes", value: "4096" },
    ]);
  });
  test("no freezer hierarchy → no freezer", () => {
    const p = planCgroup({ layout: parseCgroupLayout(COMOUNT), own: new Map(), id: "c1" });
    expect(p.freezer).toBeUndefined();
  });
});
