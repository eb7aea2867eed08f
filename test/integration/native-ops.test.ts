/**
 * Every Plan op kind, executed by the real native/oci-init on a busybox
 * rootfs, observed from inside the container. Root only.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeRootfs, type TestRootfs } from "../lib/rootfs.ts";
import { MS, basePlan, runPlan, sh } from "../lib/oci-init.ts";
import { nativePath, runInit } from "../../packages/sys/src/index.ts";
import type { Op } from "../../packages/plan/src/index.ts";

let fs: TestRootfs;
beforeAll(() => (fs = makeRootfs()));
afterAll(() => fs.cleanup());

async function ok(script: string, o: Parameters<typeof sh>[2] = {}): Promise<string> {
  const r = await runPlan(sh(fs.rootfs, script, o));
  if (r.code !== 0 || r.error) throw new Error(`exit ${r.code}: ${r.stderr} ${JSON.stringify(r.error)}`);
  return r.stdout;
}

/** The caps this test process holds (a sandbox may lack some). */
const HOST_CAPS = BigInt(`0x${/CapPrm:\s+([0-9a-f]+)/.exec(readFileSync("/proc/self/status", "utf8"))?.[1] ?? "0"}`);

describe("namespaces and stage 0", () => {
  test("new pid namespace: the process is pid 1; pid is reported as a host pid", async () => {
    const r = await runPlan(sh(fs.rootfs, "echo $$"));
    expect(r.stdout.trim()).toBe("1");
    const pidMsg = r.run.messages.find((m) => m.type === "pid");
    expect(pidMsg && pidMsg.type === "pid" && pidMsg.pid > 1).toBe(true);
    expect(r.run.messages.map((m) => m.type)).toEqual(["pid", "ready"]);
  });

  test("exit status passes through stage 0, and 128+signal when killed", async () => {
    expect((await runPlan(sh(fs.rootfs, "exit 7"))).code).toBe(7);
    const killed = await runInit(sh(fs.rootfs, "exec sleep 100"), { stdio: ["ignore", "ignore", "ignore"] });
    expect(killed.ready).toBe(true);
    process.kill(killed.pid!, "SIGKILL");
    expect(await killed.exited).toBe(137);
  });

  test("without a pid namespace too (the init gets no pid-1 signal protection)", async () => {
    expect((await runPlan(sh(fs.rootfs, "exit 9", { create: ["mount"] }))).code).toBe(9);
    expect((await runPlan(sh(fs.rootfs, "kill -9 $$", { create: ["mount"] }))).code).toBe(137);
  });

  test("the process starts with no signal ignored or blocked, whatever oci-init's caller had", async () => {
    const plan = basePlan(fs.rootfs, { args: ["grep", "-E", "^Sig(Ign|Blk)", "/proc/self/status"] });
    const wrapper = join(fs.dir, "ignoring-caller.sh");
    writeFileSync(wrapper, `#!/bin/sh\ntrap '' PIPE HUP USR1\nexec ${nativePath("oci-init")}\n`, { mode: 0o755 });
    const r = await runPlan(plan, { initPath: wrapper });
    expect(r.stdout).toBe("SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n");
  });

  test("stage 0 in wait mode forwards SIGTERM to the container", async () => {
    const run = await runInit(sh(fs.rootfs, "trap 'exit 42' TERM; echo up; sleep 100 & wait"), { stdio: ["ignore", "pipe", "inherit"] });
    const reader = (run.proc.stdout as ReadableStream<Uint8Array>).getReader();
    await reader.read(); // the trap is set
    run.proc.kill("SIGTERM");
    expect(await run.exited).toBe(42);
  });

  test("new user namespace: id maps written by stage 0, root inside", async () => {
    chmodSync(fs.dir, 0o755); // the mapped root must be able to reach the rootfs
    const plan = sh(fs.rootfs, "cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups; id -u", {
      create: ["user", "mount", "pid", "uts", "ipc"],
      bare: true,
      preOps: [{ op: "mount", source: "proc", target: "/proc", fstype: "proc", flags: 0, data: "", create: "dir" }],
    });
    const r = await runPlan({
      ...plan,
      namespaces: {
        ...plan.namespaces,
        idMappings: { uid: [{ containerID: 0, hostID: 100000, size: 65536 }], gid: [{ containerID: 0, hostID: 100000, size: 65536 }], setgroups: "deny" },
      },
    });
    expect(r.error).toBeUndefined();
    const lines = r.stdout.trim().split("\n").map((l) => l.trim().split(/\s+/).join(" "));
    expect(lines).toEqual(["0 100000 65536", "0 100000 65536", "deny", "0"]);
  });

  test("time namespace offsets apply to the container", async () => {
    const plan = sh(fs.rootfs, "cut -d' ' -f1 /proc/uptime", { create: ["mount", "pid", "time"] });
    const r = await runPlan({ ...plan, namespaces: { ...plan.namespaces, timeOffsets: { boottime: { secs: 1000000, nanosecs: 0 } } } });
    expect(r.error).toBeUndefined();
    const hostUptime = Number(readFileSync("/proc/uptime", "utf8").split(" ")[0]);
    expect(Number(r.stdout.trim())).toBeGreaterThan(hostUptime + 999000);
  });

  test("joins a namespace by path", async () => {
    const holder = Bun.spawn(["unshare", "--uts", "sh", "-c", "hostname joined-uts; echo up; exec sleep 30"], { stdout: "pipe" });
    try {
      const reader = (holder.stdout as ReadableStream<Uint8Array>).getReader();
      await reader.read();
      const plan = sh(fs.rootfs, "hostname", { create: ["mount", "pid"] });
      const r = await runPlan({ ...plan, namespaces: { ...plan.namespaces, join: [{ type: "uts", path: `/proc/${holder.pid}/ns/uts` }] } });
      expect(r.stdout.trim()).toBe("joined-uts");
    } finally {
      holder.kill(9);
      await holder.exited;
    }
  });

  test("joins cgroups listed in cgroupProcs", async () => {
    const base = ["/sys/fs/cgroup/pids", "/sys/fs/cgroup/memory", "/sys/fs/cgroup/unified"].find((d) => existsSync(join(d, "cgroup.procs")));
    if (!base) return console.warn("skipped: no writable cgroup hierarchy");
    const cg = join(base, `octest-native-${process.pid}`);
    mkdirSync(cg);
    try {
      const plan = sh(fs.rootfs, "cat /proc/self/cgroup");
      const r = await runPlan({ ...plan, cgroupProcs: [join(cg, "cgroup.procs")] });
      expect(r.stdout).toContain(`/octest-native-${process.pid}`);
    } finally {
      rmdirSync(cg);
    }
  });

  test("a failing join is reported with the path", async () => {
    const plan = sh(fs.rootfs, "true");
    const r = await runPlan({ ...plan, namespaces: { ...plan.namespaces, join: [{ type: "network", path: "/nonexistent/netns" }] } });
    expect(r.code).toBe(1);
    expect(r.error).toMatchObject({ op: -1, opName: "setns", errno: "ENOENT" });
    expect(r.error?.message).toContain("/nonexistent/netns");
  });
});

describe("mount ops", () => {
  test("mount: tmpfs with data and flags; failures name op index, errno and path", async () => {
    const out = await ok("grep ' /scratch ' /proc/self/mountinfo", {
      preOps: [{ op: "mount", source: "tmpfs", target: "/scratch", fstype: "tmpfs", flags: MS.NOSUID | MS.NODEV, data: "size=65536k,mode=750", create: "dir" }],
    });
    expect(out).toContain("nosuid,nodev");
    expect(out).toMatch(/size=65536k/);
    expect(out).toMatch(/mode=750/);
    const plan = sh(fs.rootfs, "true", { preOps: [{ op: "mount", source: "none", target: "/bad", fstype: "nosuchfs", flags: 0, data: "", create: "dir" }] });
    const r = await runPlan(plan);
    const index = plan.ops.findIndex((o) => o.op === "mount" && o.target === "/bad");
    expect(r.code).toBe(1);
    expect(r.error).toMatchObject({ type: "error", op: index, opName: "mount", errno: "ENODEV" });
    expect(r.error?.message).toBe("mount none on /bad: No such device");
  });

  test("mount: bind with remountFlags (ro) and propagation; file bind creates a file", async () => {
    const host = join(fs.dir, "hostdata");
    mkdirSync(host, { recursive: true });
    writeFileSync(join(host, "f"), "from-host\n");
    const out = await ok("cat /data/f; cat /file-bind; touch /data/g 2>&1; grep ' /data ' /proc/self/mountinfo", {
      preOps: [
        { op: "mount", source: host, target: "/data", fstype: "", flags: MS.BIND | MS.REC, data: "", create: "dir", remountFlags: MS.BIND | MS.RDONLY | MS.NOSUID, propagation: MS.PRIVATE },
        { op: "mount", source: join(host, "f"), target: "/file-bind", fstype: "", flags: MS.BIND, data: "", create: "file" },
      ],
    });
    expect(out).toContain("from-host\nfrom-host\n");
    expect(out).toContain("Read-only file system");
    const line = out.split("\n").find((l) => l.includes(" /data ")) ?? "";
    expect(line).toMatch(/ ro,nosuid/);
    expect(line).not.toContain("shared:");
  });

  test("mount: devpts (newinstance) passes the ptmx check; /dev/ptmx links to it", async () => {
    const out = await ok("stat -c '%t:%T' /dev/pts/ptmx; readlink /dev/ptmx; grep -c ' /dev/pts ' /proc/self/mountinfo", {
      preOps: [
        { op: "mount", source: "devpts", target: "/dev/pts", fstype: "devpts", flags: MS.NOSUID | MS.NOEXEC, data: "newinstance,ptmxmode=0666,mode=0620", create: "dir" },
        { op: "symlink", target: "pts/ptmx", linkpath: "/dev/ptmx" },
      ],
    });
    expect(out).toBe("5:2\npts/ptmx\n1\n");
  });

  test("mkdir, symlink (idempotent), mknod (c and p, chown), bind-device", async () => {
    const out = await ok("stat -c '%a %F' /made/deep; readlink /lnk; stat -c '%t:%T %a %u:%g %F' /dev/mynull; stat -c '%F' /pipe; echo x > /dev/bound && echo bound-ok", {
      preOps: [
        { op: "mkdir", path: "/made/deep", mode: 0o711 },
        { op: "symlink", target: "/made", linkpath: "/lnk" },
        { op: "symlink", target: "/made", linkpath: "/lnk" },
        { op: "mknod", path: "/dev/mynull", kind: "c", major: 1, minor: 3, mode: 0o620, uid: 5, gid: 6 },
        { op: "mknod", path: "/pipe", kind: "p", major: 0, minor: 0, mode: 0o600, uid: 0, gid: 0 },
        { op: "bind-device", source: "/dev/null", path: "/dev/bound" },
      ],
    });
    expect(out.split("\n")).toEqual(["711 directory", "/made", "1:3 620 5:6 character special file", "fifo", "bound-ok", ""]);
  });

  test("symlink over a different existing link fails with EEXIST", async () => {
    const r = await runPlan(sh(fs.rootfs, "true", { preOps: [{ op: "symlink", target: "/a", linkpath: "/l2" }, { op: "symlink", target: "/b", linkpath: "/l2" }] }));
    expect(r.error).toMatchObject({ opName: "symlink", errno: "EEXIST" });
  });

  test("propagate: the new root made rshared is seen as shared", async () => {
    const out = await ok("cat /proc/self/mountinfo", { ops: [{ op: "propagate", target: "/", flags: MS.REC | MS.SHARED }] });
    const root = out.split("\n").find((l) => l.split(" ")[4] === "/") ?? "";
    expect(root).toMatch(/ shared:\d+ /);
    const before = await ok("cat /proc/self/mountinfo");
    expect(before.split("\n").find((l) => l.split(" ")[4] === "/")).not.toMatch(/ shared:\d+ /);
  });

  test("mknod: block devices", async () => {
    const out = await ok("stat -c '%F %t:%T' /dev/loopx", { preOps: [{ op: "mknod", path: "/dev/loopx", kind: "b", major: 7, minor: 0, mode: 0o600, uid: 0, gid: 0 }] });
    expect(out).toBe("block special file 7:0\n");
  });

  test("chroot (--no-pivot) instead of pivot_root", async () => {
    const out = await ok("ls /etc/passwd; echo $$", { pivot: "chroot" });
    expect(out).toBe("/etc/passwd\n1\n");
  });

  test("readonly-root", async () => {
    const out = await ok("touch /x 2>&1; cat /proc/self/mountinfo", { ops: [{ op: "readonly-root" }] });
    expect(out).toContain("Read-only file system");
    const root = out.split("\n").find((l) => l.split(" ")[4] === "/") ?? "";
    expect(root.split(" ")[5]).toMatch(/^ro,/);
  });

  test("mask-path: files get /dev/null, directories an empty read-only tmpfs, missing paths are skipped", async () => {
    mkdirSync(join(fs.rootfs, "secretdir"), { recursive: true });
    writeFileSync(join(fs.rootfs, "secretdir", "s"), "secret");
    writeFileSync(join(fs.rootfs, "etc", "secret"), "secret");
    const out = await ok("cat /etc/secret; ls -A /secretdir; touch /secretdir/x 2>&1; echo end", {
      ops: [
        { op: "mask-path", path: "/etc/secret" },
        { op: "mask-path", path: "/secretdir" },
        { op: "mask-path", path: "/does/not/exist" },
      ],
    });
    expect(out).not.toContain("secret\n");
    expect(out).toContain("Read-only file system");
    expect(out.trim().endsWith("end")).toBe(true);
  });

  test("readonly-path: files and directories", async () => {
    const out = await ok("touch /etc/x 2>&1; (echo y > /etc/passwd) 2>&1; echo end", {
      ops: [{ op: "readonly-path", path: "/etc" }, { op: "readonly-path", path: "/nope" }],
    });
    expect(out.match(/Read-only file system/g)?.length).toBe(2);
  });
});

describe("system ops", () => {
  test("sethostname, setdomainname", async () => {
    const out = await ok("hostname; cat /proc/sys/kernel/domainname", {
      ops: [{ op: "sethostname", name: "box-1" }, { op: "setdomainname", name: "example.test" }],
    });
    expect(out).toBe("box-1\nexample.test\n");
  });

  test("sysctl (in a new ipc namespace) and oom-score-adj", async () => {
    const out = await ok("cat /proc/sys/kernel/msgmax /proc/self/oom_score_adj", {
      ops: [{ op: "sysctl", key: "kernel.msgmax", value: "12345" }, { op: "oom-score-adj", value: 432 }],
    });
    expect(out).toBe("12345\n432\n");
  });

  test("sysctl refuses keys that could leave /proc/sys", async () => {
    const r = await runPlan(sh(fs.rootfs, "true", { ops: [{ op: "sysctl", key: "kernel..x", value: "1" }] }));
    expect(r.error).toMatchObject({ opName: "sysctl", errno: "EINVAL" });
  });

  test("apparmor and selinux-label fail clearly where the LSM is not enabled", async () => {
    const aa = existsSync("/sys/module/apparmor/parameters/enabled") && readFileSync("/sys/module/apparmor/parameters/enabled", "utf8").startsWith("Y");
    const r1 = await runPlan(sh(fs.rootfs, "cat /proc/self/attr/apparmor/exec 2>/dev/null || cat /proc/self/attr/exec", { ops: [{ op: "apparmor", profile: "unconfined" }] }));
    if (aa) expect(r1.error).toBeUndefined();
    else expect(r1.error?.message).toContain("AppArmor is not enabled");
    const se = existsSync("/sys/fs/selinux/enforce");
    const r2 = await runPlan(sh(fs.rootfs, "true", { ops: [{ op: "selinux-label", label: "system_u:system_r:container_t:s0" }] }));
    if (se) expect(r2.error).toBeUndefined();
    else expect(r2.error).toMatchObject({ opName: "selinux-label", errno: "EOPNOTSUPP" });
  });
});

describe("process ops", () => {
  test("rlimit, umask, personality, ioprio, scheduler, no-new-privs", async () => {
    const out = await ok(
      "ulimit -n; ulimit -Hn; umask; uname -m; ionice -p $$; awk '{print $19, $41}' /proc/self/stat; grep NoNewPrivs /proc/self/status",
      {
        ops: [
          { op: "rlimit", resource: 7, name: "RLIMIT_NOFILE", soft: 1024n, hard: 2048n },
          { op: "umask", mask: 0o027 },
          { op: "personality", persona: 0x0008 },
          { op: "ioprio", ioprio: (2 << 13) | 5 },
          { op: "scheduler", policy: 3, nice: 7, priority: 0, flags: 0n, runtime: 0n, deadline: 0n, period: 0n },
          { op: "no-new-privs" },
        ],
      },
    );
    const lines = out.trim().split("\n");
    expect(lines[0]).toBe("1024");
    expect(lines[1]).toBe("2048");
    expect(lines[2]).toBe("0027");
    expect(lines[3]).toBe("i686");
    expect(lines[4]).toContain("best-effort");
    expect(lines[4]).toContain("5");
    expect(lines[5]).toBe("7 3");
    expect(lines[6]).toMatch(/NoNewPrivs:\s+1/);
  });

  test("identity: user, groups, all five capability sets", async () => {
    const caps = (1n << 5n) | (1n << 10n) | (1n << 29n); // KILL, NET_BIND_SERVICE, AUDIT_WRITE
    const out = await ok("id -u; id -g; id -G; grep -E '^Cap' /proc/self/status", {
      ops: [{ op: "identity", uid: 1000, gid: 1001, additionalGids: [10, 20], caps: { bounding: caps, effective: caps, permitted: caps, inheritable: caps, ambient: caps } }],
    });
    const hex = caps.toString(16).padStart(16, "0");
    expect(out).toContain("1000\n1001\n");
    expect(out).toMatch(/1001 10 20|10 20 1001/);
    for (const set of ["CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"]) expect(out).toContain(`${set}:\t${hex}`);
  });

  test("identity: root keeps every cap it has when asked", async () => {
    const out = await ok("grep CapBnd /proc/self/status", {
      ops: [{ op: "identity", uid: 0, gid: 0, additionalGids: [], caps: { bounding: HOST_CAPS, effective: HOST_CAPS, permitted: HOST_CAPS, inheritable: 0n, ambient: 0n } }],
    });
    expect(out).toContain(`CapBnd:\t${HOST_CAPS.toString(16).padStart(16, "0")}`);
  });

  test("seccomp: a filter denying mkdir/mkdirat with EPERM", async () => {
    const ins = (code: number, jt: number, jf: number, k: number): number[] => {
      const b = new Uint8Array(8);
      const v = new DataView(b.buffer);
      v.setUint16(0, code, true);
      v.setUint8(2, jt);
      v.setUint8(3, jf);
      v.setUint32(4, k >>> 0, true);
      return [...b];
    };
    const filter = new Uint8Array([
      ...ins(0x20, 0, 0, 0), // ld [nr]
      ...ins(0x15, 2, 0, 83), // mkdir
      ...ins(0x15, 1, 0, 258), // mkdirat
      ...ins(0x06, 0, 0, 0x7fff0000), // allow
      ...ins(0x06, 0, 0, 0x00050000 | 1), // errno EPERM
    ]);
    const out = await ok("mkdir /tmp/x 2>&1; echo end", { ops: [{ op: "no-new-privs" }, { op: "seccomp", filter, flags: 0 }] });
    expect(out).toContain("Operation not permitted");
  });

  test("chdir after a mkdir op (how planners give the init a missing cwd)", async () => {
    const out = await ok("pwd", { ops: [{ op: "mkdir", path: "/work/dir", mode: 0o755 }, { op: "chdir", path: "/work/dir" }] });
    expect(out).toBe("/work/dir\n");
  });
});

describe("exec", () => {
  test("PATH lookup uses process.env's PATH inside the container", async () => {
    mkdirSync(join(fs.rootfs, "opt", "tools"), { recursive: true });
    writeFileSync(join(fs.rootfs, "opt", "tools", "hello"), "#!/bin/sh\necho hello-from-path\n", { mode: 0o755 });
    const r = await runPlan(basePlan(fs.rootfs, { args: ["hello"], env: ["PATH=/opt/tools:/bin"] }));
    expect(r.stdout).toBe("hello-from-path\n");
  });

  test("missing executable: runc's wording, before ready", async () => {
    const r1 = await runPlan(basePlan(fs.rootfs, { args: ["no-such-cmd"] }));
    expect(r1.code).not.toBe(0);
    expect(r1.run.ready).toBe(false);
    expect(r1.error?.message).toBe('exec: "no-such-cmd": executable file not found in $PATH');
    const r2 = await runPlan(basePlan(fs.rootfs, { args: ["/no/such"], stage0: "exit" }));
    expect(r2.code).toBe(1);
    expect(r2.error?.message).toContain("no such file or directory");
    expect(r2.error).toMatchObject({ op: -1, opName: "exec", errno: "ENOENT" });
  });

  test("preserveFds larger than the fds passed is an error before ready", async () => {
    const plan = sh(fs.rootfs, "true");
    const r = await runPlan({ ...plan, process: { ...plan.process, preserveFds: 2 } });
    expect(r.run.ready).toBe(false);
    expect(r.error).toMatchObject({ op: -1, opName: "preserve-fds", errno: "EBADF" });
    expect(r.error?.message).toContain("preserved fd 3");
  });

  test("ops are not run past the first failure", async () => {
    const r = await runPlan(
      sh(fs.rootfs, "true", {
        preOps: [
          { op: "mount", source: "none", target: "/x", fstype: "nosuchfs", flags: 0, data: "", create: "dir" },
          { op: "mkdir", path: "/after-failure", mode: 0o755 },
        ],
      }),
    );
    expect(r.error?.opName).toBe("mount");
    expect(existsSync(join(fs.rootfs, "after-failure"))).toBe(false);
  });
});

export type { Op };
