/**
 * oci-init ops that need the caller: "sync" (createRuntime pause), "hook"
 * (createContainer before pivot, process.startHooks after start), "console"
 * (a pty from the container's devpts, master sent with SCM_RIGHTS), plus
 * PR_SET_DUMPABLE (CVE-2016-9962) and exec into a running container by
 * joining its namespaces. Root, real containers on a busybox rootfs.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, closeSync, createReadStream, existsSync, mkdirSync, readFileSync, readlinkSync, readdirSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { NamespaceJoin, NamespaceType, Op, Plan } from "../../packages/plan/src/index.ts";
import { runInit, type InitRun } from "../../packages/sys/src/index.ts";
import { MS, basePlan, runPlan, sh } from "../lib/oci-init.ts";
import { makeRootfs, type TestRootfs } from "../lib/rootfs.ts";

let fs: TestRootfs;
beforeAll(() => {
  fs = makeRootfs();
  chmodSync(fs.dir, 0o755); // user-namespaced containers (mapped root) must reach the rootfs
});
afterAll(() => fs.cleanup());

const HOST_SH = "/bin/sh";
const BUSYBOX = "/bin/busybox"; // host busybox-static: dispatches on argv[0], so it proves argv[0] is passed
const USERNS_MAPS = {
  uid: [{ containerID: 0, hostID: 100000, size: 65536 }],
  gid: [{ containerID: 0, hostID: 100000, size: 65536 }],
  setgroups: "deny" as const,
};

function hook(name: "createContainer" | "startContainer", path: string, args: string[], o: { env?: string[]; timeout?: number; index?: number } = {}): Extract<Op, { op: "hook" }> {
  return { op: "hook", name, index: o.index ?? 0, path, args, env: o.env ?? ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"], timeout: o.timeout ?? 0 };
}

async function gone(pid: number, ms = 5000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await Bun.sleep(10)) {
    try {
      if (/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8"))) return true;
    } catch {
      return true;
    }
  }
  return false;
}

let counter = 0;
function scratch(name: string): string {
  return join(fs.dir, `${name}-${++counter}`);
}

describe("sync", () => {
  test("continue: the caller is asked at the sync point; the states reach a later createContainer hook on stdin", async () => {
    const out = scratch("state");
    const state = JSON.stringify({ ociVersion: "1.2.0", id: "c1", status: "creating", pid: 0, bundle: "/b", annotations: { "é": "\"\n\\" } });
    const asked: [string, number | undefined][] = [];
    const plan = sh(fs.rootfs, "echo ran", {
      preOps: [{ op: "sync", point: "createRuntime" }, hook("createContainer", HOST_SH, ["sh", "-c", `cat > ${out}`])],
    });
    const r = await runPlan(plan, {
      onSync: async (point, info) => {
        asked.push([point, info.pid]);
        await Bun.sleep(50); // stage 1 really waits for us
        return { states: { createContainer: state, startContainer: "{}" } };
      },
    });
    expect(r.error).toBeUndefined();
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("ran\n");
    expect(asked).toEqual([["createRuntime", r.run.pid]]);
    expect(r.run.pid).toBeGreaterThan(0);
    expect(readFileSync(out, "utf8")).toBe(state);
    expect(r.run.messages.map((m) => m.type)).toEqual(["pid", "sync", "ready"]);
  });

  test("no onSync: runInit answers continue", async () => {
    const r = await runPlan(sh(fs.rootfs, "echo ok", { preOps: [{ op: "sync", point: "createRuntime" }] }));
    expect(r.error).toBeUndefined();
    expect(r.stdout).toBe("ok\n");
  });

  test("abort: the op fails with exactly the caller's message; the process never runs", async () => {
    const ran = scratch("ran");
    const plan = sh(fs.rootfs, `echo ran > /ran`, { preOps: [{ op: "sync", point: "createRuntime" }] });
    const r = await runPlan(plan, { onSync: () => ({ abort: 'error running prestart hook #0 (/x): exit status 1, stdout: "", stderr: "no"' }) });
    const index = plan.ops.findIndex((o) => o.op === "sync");
    expect(r.error).toEqual({ type: "error", op: index, opName: "sync", errno: "ECANCELED", message: 'error running prestart hook #0 (/x): exit status 1, stdout: "", stderr: "no"' });
    expect(r.code).toBe(1);
    expect(existsSync(join(fs.rootfs, "ran"))).toBe(false);
    expect(existsSync(ran)).toBe(false);
  });

  test("a throwing onSync aborts with the error's message", async () => {
    const r = await runPlan(sh(fs.rootfs, "true", { preOps: [{ op: "sync", point: "createRuntime" }] }), {
      onSync: () => {
        throw new Error("prestart failed");
      },
    });
    expect(r.error).toMatchObject({ opName: "sync", errno: "ECANCELED", message: "prestart failed" });
  });

  test("the caller dies at the sync point: the init fails and nothing runs or lingers", async () => {
    const marker = scratch("caller-died");
    const pids = scratch("pids");
    const plan = sh(fs.rootfs, "touch /caller-died-ran", { preOps: [{ op: "sync", point: "createRuntime" }] });
    const script = scratch("caller.ts") + ".ts";
    writeFileSync(
      script,
      `import { runInit } from ${JSON.stringify(join(import.meta.dir, "../../packages/sys/src/index.ts"))};
       import { readFileSync, writeFileSync } from "node:fs";
       const plan = JSON.parse(${JSON.stringify(JSON.stringify(plan))});
       await runInit(plan, { stdio: ["ignore", "ignore", "ignore"], onSync: (_p, info) => {
         const stage0 = readFileSync("/proc/" + process.pid + "/task/" + process.pid + "/children", "utf8").trim();
         writeFileSync(${JSON.stringify(pids)}, stage0 + " " + info.pid);
         writeFileSync(${JSON.stringify(marker)}, "x");
         process.exit(0);
       } });`,
    );
    const caller = Bun.spawn([process.execPath, script], { stdio: ["ignore", "inherit", "inherit"] });
    expect(await caller.exited).toBe(0);
    expect(existsSync(marker)).toBe(true);
    const [stage0, stage1] = readFileSync(pids, "utf8").split(" ").map(Number);
    expect(stage0).toBeGreaterThan(0);
    expect(stage1).toBeGreaterThan(0);
    expect(await gone(stage1!)).toBe(true);
    expect(await gone(stage0!)).toBe(true);
    expect(existsSync(join(fs.rootfs, "caller-died-ran"))).toBe(false);
  });
});

describe("hooks", () => {
  test("createContainer runs before pivot in the container's namespaces (its hostname and mount ns) with host paths", async () => {
    const out = scratch("cc");
    const script = `{ hostname; readlink /proc/self/ns/mnt; readlink /proc/self/ns/uts; test -d ${fs.rootfs}/bin && echo host-paths; umask; } > ${out}`;
    const plan = sh(fs.rootfs, "hostname; readlink /proc/self/ns/mnt; readlink /proc/self/ns/uts", {
      preOps: [{ op: "sethostname", name: "hooked-box" }, hook("createContainer", HOST_SH, ["sh", "-c", script])],
    });
    const saved = process.umask(0o027); // hooks get the runtime's umask, not the 0 stage 1 works with
    let r: Awaited<ReturnType<typeof runPlan>>;
    try {
      r = await runPlan(plan);
    } finally {
      process.umask(saved);
    }
    expect(r.error).toBeUndefined();
    const [hn, mnt, uts, host, mask] = readFileSync(out, "utf8").trim().split("\n");
    const container = r.stdout.trim().split("\n");
    expect(hn).toBe("hooked-box");
    expect(container[0]).toBe("hooked-box");
    expect(mnt).toBe(container[1]!); // the container's mount namespace …
    expect(mnt).not.toBe(readlinkSync("/proc/self/ns/mnt")); // … not the host's
    expect(uts).toBe(container[2]!);
    expect(host).toBe("host-paths");
    expect(mask).toBe("0027");
  });

  // The hook's own environ is read from the container's /proc (mounted under the rootfs: the hook is in its pid namespace).
  test("argv (argv[0] included), env and stdin exactly; a failing hook's output is in the error as runc words it", async () => {
    const plan = sh(fs.rootfs, "true", {
      preOps: [
        { op: "sync", point: "createRuntime" },
        hook("createContainer", BUSYBOX, ["sh", "-c", 'echo "argv:$0|$1|$2|$#"; tr "\\0" "\\n" < ROOTFS/proc/$$/environ; echo "stdin:$(cat)"; echo "to stderr\\"" >&2; exit 3', "zero", "one two", ""].map((a) => a.replace("ROOTFS", fs.rootfs)), {
          env: ["A=1", "B=with space", "EMPTY="],
          index: 4,
        }),
      ],
    });
    const r = await runPlan(plan, { onSync: () => ({ states: { createContainer: '{"id":"x"}' } }) });
    const stdout = 'argv:zero|one two||2\nA=1\nB=with space\nEMPTY=\nstdin:{"id":"x"}\n';
    expect(r.error).toEqual({
      type: "error",
      op: plan.ops.length - 2, // the hook, before pivot-root
      opName: "hook",
      errno: "ECHILD",
      message: `error running createContainer hook #4 (${BUSYBOX}): exit status 3, stdout: ${JSON.stringify(stdout)}, stderr: ${JSON.stringify('to stderr"\n')}`,
    });
    expect(r.code).toBe(1);
  });

  test("args empty: argv[0] is the path; a hook that does not read its stdin is fine", async () => {
    const dir = scratch("hookbin");
    mkdirSync(dir);
    const h = join(dir, "h.sh");
    writeFileSync(h, `#!/bin/sh\necho "$0" > ${dir}/argv0\n`, { mode: 0o755 });
    const big = "x".repeat(1 << 20); // larger than a pipe: the write must not block or fail on EPIPE
    const r = await runPlan(sh(fs.rootfs, "echo ok", { preOps: [{ op: "sync", point: "createRuntime" }, hook("createContainer", h, [])] }), {
      onSync: () => ({ states: { createContainer: big } }),
    });
    expect(r.error).toBeUndefined();
    expect(r.stdout).toBe("ok\n");
    expect(readFileSync(join(dir, "argv0"), "utf8")).toBe(`${h}\n`);
  });

  test("exec failure of the hook itself: Go's wording, errno of execve", async () => {
    const r = await runPlan(sh(fs.rootfs, "true", { preOps: [hook("createContainer", "/nonexistent/hook", [], { index: 1 })] }));
    expect(r.error).toMatchObject({ opName: "hook", errno: "ENOENT", message: "error running createContainer hook #1 (/nonexistent/hook): exec /nonexistent/hook: no such file or directory" });
  });

  test("timeout: SIGKILL to the hook's process group after N s, runc's message", async () => {
    const bg = scratch("bgpid");
    const t0 = performance.now();
    // No pid namespace: the group kill, not the namespace's end, must be what ends the background sleep.
    const plan = sh(fs.rootfs, "true", { create: ["mount", "uts", "ipc"], preOps: [hook("createContainer", HOST_SH, ["sh", "-c", `sleep 30 & echo $! > ${bg}; echo waiting; wait`], { timeout: 1 })] });
    const r = await runPlan(plan);
    const took = performance.now() - t0;
    expect(r.error).toMatchObject({ opName: "hook", errno: "ETIMEDOUT", message: `error running createContainer hook #0 (${HOST_SH}): hook ran past specified timeout of 1.0s, stdout: "waiting\\n", stderr: ""` });
    expect(took).toBeGreaterThan(950);
    expect(took).toBeLessThan(2500);
    expect(await gone(Number(readFileSync(bg, "utf8")), 2000)).toBe(true); // the whole group died
  });

  test("output over 64 KiB is capped with the count of the rest", async () => {
    const r = await runPlan(sh(fs.rootfs, "true", { preOps: [hook("createContainer", HOST_SH, ["sh", "-c", "head -c 70000 /dev/zero | tr '\\0' a; exit 1"])] }));
    expect(r.error?.message).toBe(`error running createContainer hook #0 (${HOST_SH}): exit status 1, stdout: "${"a".repeat(65536)}[… ${70000 - 65536} more bytes]", stderr: ""`);
  });

  test("startContainer hooks run after start (exec fifo), in the container's root, before the process", async () => {
    const fifo = scratch("exec.fifo");
    expect(Bun.spawnSync(["mkfifo", "-m", "0622", fifo]).exitCode).toBe(0);
    mkdirSync(join(fs.rootfs, "hooks"), { recursive: true });
    writeFileSync(join(fs.rootfs, "hooks/start.sh"), `#!/bin/sh\n{ echo "$0 $1"; cat; echo; test -e ${fs.rootfs} || echo container-root; pwd; } > /start-hook.out\n`, { mode: 0o755 });
    const base = sh(fs.rootfs, "cat /start-hook.out; echo process", { stage0: "exit", ops: [{ op: "sync", point: "createRuntime" }] });
    const plan: Plan = {
      ...base,
      process: { ...base.process, execFifo: fifo, startHooks: [hook("startContainer", "/hooks/start.sh", ["start.sh", "arg1"], { index: 0 })] },
    };
    const run = await runInit(plan, { stdio: ["ignore", "pipe", "inherit"], onSync: () => ({ states: { startContainer: '{"status":"created"}' } }) });
    try {
      expect(run.error).toBeUndefined();
      expect(run.ready).toBe(true);
      await Bun.sleep(100);
      expect(existsSync(join(fs.rootfs, "start-hook.out"))).toBe(false); // not before start
      expect(readFileSync(fifo, "utf8")).toBe("0"); // start
      const out = await new Response(run.proc.stdout as ReadableStream).text();
      expect(out).toBe('/hooks/start.sh arg1\n{"status":"created"}\ncontainer-root\n/\nprocess\n');
    } finally {
      if (run.pid) await gone(run.pid);
    }
  });

  test("a failing startContainer hook stops the process from running", async () => {
    const r = await runPlan({ ...sh(fs.rootfs, "echo must-not-run"), process: { ...sh(fs.rootfs, "echo must-not-run").process, startHooks: [hook("startContainer", "/bin/sh", ["sh", "-c", "echo nope >&2; exit 2"])] } });
    expect(r.stdout).toBe("");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('oci-init: error running startContainer hook #0 (/bin/sh): exit status 2, stdout: "", stderr: "nope\\n"');
    expect(r.run.messages.at(-1)).toMatchObject({ type: "error", op: -1, opName: "hook", errno: "ECHILD" });
  });
});

describe("console", () => {
  const devpts: Op = { op: "mount", source: "devpts", target: "/dev/pts", fstype: "devpts", flags: MS.NOSUID | MS.NOEXEC, data: "newinstance,ptmxmode=0666,mode=0620", create: "dir" };

  test("the caller gets the pty master; the shell sees /dev/pts/0 as its tty, is pid 1, sized rows x cols", async () => {
    let master = -1;
    let name = "";
    const plan = basePlan(fs.rootfs, { args: ["/bin/sh"], preOps: [devpts], ops: [{ op: "console", rows: 31, cols: 97, mountConsole: true }], env: ["PATH=/bin", "PS1=$ "] });
    const run = await runInit(plan, {
      stdio: ["ignore", "ignore", "ignore"],
      onConsole: (fd, n) => {
        master = fd;
        name = n;
      },
    });
    try {
      expect(run.error).toBeUndefined();
      expect(name).toBe("/dev/pts/0");
      expect(master).toBeGreaterThan(2);
      expect(readlinkSync(`/proc/self/fd/${master}`)).toMatch(/ptmx/);
      writeSync(master, "tty; echo pid=$$; stty size; [ -c /dev/console ] && echo console-is-a-tty; exit 7\n");
      // node:fs streams read on a worker thread; the master reads EIO once the shell is gone.
      const stream = createReadStream("", { fd: master, autoClose: false });
      const chunks: Buffer[] = [];
      stream.on("data", (d) => chunks.push(Buffer.from(d)));
      await Promise.race([new Promise<void>((r) => (stream.on("close", () => r()), stream.on("error", () => r()))), Bun.sleep(5000)]);
      const text = Buffer.concat(chunks).toString().replace(/\r/g, "");
      expect(text).toMatch(/^\/dev\/pts\/0$/m);
      expect(text).toMatch(/^pid=1$/m);
      expect(text).toMatch(/^31 97$/m);
      expect(text).toMatch(/^console-is-a-tty$/m);
      expect(await run.exited).toBe(7);
    } finally {
      if (master >= 0) closeSync(master);
      run.proc.kill(9);
    }
  });

  test("create mode: the console reader lets go once stage 0 exited after ready (the caller's process is not held until start)", async () => {
    const fifo = scratch("exec.fifo");
    expect(Bun.spawnSync(["mkfifo", "-m", "0622", fifo]).exitCode).toBe(0);
    const base = basePlan(fs.rootfs, { args: ["/bin/sh", "-c", "exit 0"], stage0: "exit", preOps: [devpts], ops: [{ op: "console", rows: 0, cols: 0, mountConsole: true }] });
    let master = -1;
    const run = await runInit({ ...base, process: { ...base.process, execFifo: fifo } }, { stdio: ["ignore", "ignore", "ignore"], onConsole: (fd) => void (master = fd) });
    try {
      expect(run.ready).toBe(true);
      expect(await run.exited).toBe(0);
      expect(await Promise.race([run.closed.then(() => "closed"), Bun.sleep(2000).then(() => "still reading")])).toBe("closed");
    } finally {
      expect(readFileSync(fifo, "utf8")).toBe("0"); // start, so the init does not linger
      if (run.pid) await gone(run.pid);
      if (master >= 0) closeSync(master);
    }
  });

  test("a console op needs onConsole (refused before spawning); a throwing onConsole gets its fd closed", async () => {
    const plan = basePlan(fs.rootfs, { args: ["/bin/sh", "-c", "exit 0"], preOps: [devpts], ops: [{ op: "console", rows: 0, cols: 0, mountConsole: false }] });
    expect(runInit(plan, { stdio: ["ignore", "ignore", "ignore"] })).rejects.toThrow(/console op but no onConsole/);
    const ptys = () => readdirSync("/proc/self/fd").filter((fd) => /ptmx|\/dev\/pts\//.test(readlinkSafe(`/proc/self/fd/${fd}`)));
    expect(ptys()).toEqual([]);
    const run = await runInit(plan, {
      stdio: ["ignore", "ignore", "ignore"],
      onConsole: () => {
        throw new Error("receiver broke");
      },
    });
    expect(run.error).toBeUndefined();
    await run.exited;
    await run.closed;
    expect(ptys()).toEqual([]);
  });

  test("a ptmx that is not devpts' 5:2 is refused (safety rule 4)", async () => {
    const plan = basePlan(fs.rootfs, {
      args: ["/bin/true"],
      preOps: [
        { op: "mount", source: "tmpfs", target: "/dev/pts", fstype: "tmpfs", flags: 0, data: "", create: "dir" },
        { op: "mknod", path: "/dev/pts/ptmx", kind: "c", major: 1, minor: 3, mode: 0o666, uid: 0, gid: 0 },
      ],
      ops: [{ op: "console", rows: 0, cols: 0, mountConsole: true }],
    });
    const r = await runPlan(plan, { onConsole: (fd) => closeSync(fd) });
    expect(r.error).toMatchObject({ opName: "console", errno: "EPERM", message: expect.stringContaining("not the devpts character device 5:2") });
  });
});

/** Every namespace of pid as a join list, user first (what oci-run exec builds). */
function joinsOf(pid: number): NamespaceJoin[] {
  const types: [string, NamespaceType][] = [["user", "user"], ["mnt", "mount"], ["pid", "pid"], ["uts", "uts"], ["ipc", "ipc"], ["net", "network"], ["cgroup", "cgroup"], ["time", "time"]];
  return types.map(([file, type]) => ({ type, path: `/proc/${pid}/ns/${file}` }));
}

const ALL_CAPS = (1n << BigInt(Number(readFileSync("/proc/sys/kernel/cap_last_cap", "utf8")) + 1)) - 1n;

function joinPlan(target: number, args: string[], ops: Op[], stage0: "wait" | "exit" = "wait"): Plan {
  return {
    version: 1,
    containerId: "octest-exec",
    stage0,
    cgroupProcs: [],
    namespaces: { join: joinsOf(target), create: [] },
    ops,
    process: { args, env: ["PATH=/bin:/sbin"], preserveFds: 0 },
  };
}

const rootIdentity: Op = { op: "identity", uid: 0, gid: 0, additionalGids: [], caps: { bounding: ALL_CAPS, effective: ALL_CAPS, permitted: ALL_CAPS, inheritable: 0n, ambient: 0n } };

/** A running container with its own user (0 → 100000), mount, pid, uts, ipc namespaces and /proc: sleeps as pid 1. */
async function startContainer(): Promise<InitRun> {
  const plan = sh(fs.rootfs, "exec sleep 60", {
    create: ["user", "mount", "pid", "uts", "ipc"],
    bare: true,
    preOps: [{ op: "mount", source: "proc", target: "/proc", fstype: "proc", flags: 0, data: "", create: "dir" }, { op: "sethostname", name: "target-box" }],
  });
  const run = await runInit({ ...plan, namespaces: { ...plan.namespaces, idMappings: USERNS_MAPS } }, { stdio: ["ignore", "ignore", "inherit"] });
  expect(run.error).toBeUndefined();
  for (let i = 0; i < 200 && !readlinkSafe(`/proc/${run.pid}/exe`).includes("busybox"); i++) await Bun.sleep(10);
  return run;
}

function readlinkSafe(p: string): string {
  try {
    return readlinkSync(p);
  } catch {
    return "";
  }
}

function nsPid(hostPid: number): number {
  const line = /^NSpid:\s+(.*)$/m.exec(readFileSync(`/proc/${hostPid}/status`, "utf8"))![1]!;
  return Number(line.trim().split(/\s+/).at(-1));
}

describe("dumpability and /proc writes", () => {
  test("oom-score-adj in a new user namespace (stage 1 cannot write it there): written by stage 0 from the host", async () => {
    const plan = sh(fs.rootfs, "cat /proc/self/oom_score_adj", {
      create: ["user", "mount", "pid"],
      bare: true,
      preOps: [{ op: "mount", source: "proc", target: "/proc", fstype: "proc", flags: 0, data: "", create: "dir" }],
      ops: [{ op: "oom-score-adj", value: 321 }], // positive: this machine withholds CAP_SYS_RESOURCE even from root
    });
    const r = await runPlan({ ...plan, namespaces: { ...plan.namespaces, idMappings: USERNS_MAPS } });
    expect(r.error).toBeUndefined();
    expect(r.stdout).toBe("321\n");
  });
});

describe("exec into a running container", () => {
  test("joins every namespace (user first): /proc/self/ns links equal the target's; chdir and PATH lookup use the container's root", async () => {
    const target = await startContainer();
    try {
      const pid = target.pid!;
      const files = ["cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"];
      // Only in the container's root: found by PATH lookup there, run by the container's /bin/sh.
      const script = `#!/bin/sh\nfor n in ${files.join(" ")}; do readlink /proc/self/ns/$n; done; pwd; hostname; id -u; echo $$\n`;
      writeFileSync(join(fs.rootfs, "bin/exec-check"), script, { mode: 0o755 });
      const r = await runPlan(joinPlan(pid, ["exec-check"], [rootIdentity, { op: "chdir", path: "/tmp" }]));
      expect(r.error).toBeUndefined();
      const lines = r.stdout.trim().split("\n");
      expect(lines.slice(0, files.length)).toEqual(files.map((n) => readlinkSync(`/proc/${pid}/ns/${n}`)));
      expect(lines.slice(0, files.length)).not.toEqual(files.map((n) => readlinkSync(`/proc/self/ns/${n}`)));
      expect(lines.slice(files.length, files.length + 3)).toEqual(["/tmp", "target-box", "0"]);
      expect(Number(lines.at(-1))).toBeGreaterThan(1); // a new process in the container's pid namespace
      expect(r.code).toBe(0);
    } finally {
      target.proc.kill(9);
      await target.exited;
    }
  });

  test("a container without its own user namespace: the user entry (the caller's own) is skipped", async () => {
    const plan = sh(fs.rootfs, "exec sleep 60", { stage0: "wait" });
    const target = await runInit(plan, { stdio: ["ignore", "ignore", "inherit"] });
    try {
      for (let i = 0; i < 200 && !readlinkSafe(`/proc/${target.pid}/exe`).includes("busybox"); i++) await Bun.sleep(10);
      const r = await runPlan(joinPlan(target.pid!, ["readlink", "/proc/self/ns/mnt"], []));
      expect(r.error).toBeUndefined();
      expect(r.stdout.trim()).toBe(readlinkSync(`/proc/${target.pid}/ns/mnt`));
    } finally {
      target.proc.kill(9);
      await target.exited;
    }
  });

  test("exec -t: a console op in a join plan gives a pty from the container's devpts", async () => {
    const devpts: Op = { op: "mount", source: "devpts", target: "/dev/pts", fstype: "devpts", flags: 0, data: "newinstance,ptmxmode=0666", create: "dir" };
    const target = await runInit(sh(fs.rootfs, "exec sleep 60", { preOps: [devpts] }), { stdio: ["ignore", "ignore", "inherit"] });
    let master = -1;
    try {
      for (let i = 0; i < 200 && !readlinkSafe(`/proc/${target.pid}/exe`).includes("busybox"); i++) await Bun.sleep(10);
      const run = await runInit(joinPlan(target.pid!, ["/bin/sh"], [{ op: "console", rows: 12, cols: 34, mountConsole: false }]), {
        stdio: ["ignore", "ignore", "ignore"],
        onConsole: (fd) => void (master = fd),
      });
      expect(run.error).toBeUndefined();
      writeSync(master, "tty; stty size; readlink /proc/self/ns/mnt; exit 5\n");
      const stream = createReadStream("", { fd: master, autoClose: false });
      const chunks: Buffer[] = [];
      stream.on("data", (d) => chunks.push(Buffer.from(d)));
      await Promise.race([new Promise<void>((r) => (stream.on("close", () => r()), stream.on("error", () => r()))), Bun.sleep(5000)]);
      const text = Buffer.concat(chunks).toString().replace(/\r/g, "");
      expect(text).toMatch(/^\/dev\/pts\/0$/m); // the container's own devpts instance
      expect(text).toMatch(/^12 34$/m);
      expect(text).toContain(readlinkSync(`/proc/${target.pid}/ns/mnt`));
      expect(await run.exited).toBe(5);
    } finally {
      if (master >= 0) closeSync(master);
      target.proc.kill(9);
      await target.exited;
    }
  });

  test("CVE-2016-9962: while a joining init holds host fds, root in the container cannot open its /proc/<pid>/fd or mem", async () => {
    const target = await startContainer();
    try {
      let attack: Awaited<ReturnType<typeof runPlan>> | undefined;
      let joinerNsPid = 0;
      // The joiner pauses at a sync point inside the container's pid and user namespaces …
      const joiner = await runInit(joinPlan(target.pid!, ["/bin/true"], [{ op: "sync", point: "createRuntime" }]), {
        stdio: ["ignore", "ignore", "inherit"],
        onSync: async (_point, info) => {
          joinerNsPid = nsPid(info.pid!);
          // … and a process of the container (root in its user namespace, every capability there) tries to reach it.
          const script = `ls /proc/1/fd && echo control-ok; ls /proc/${joinerNsPid}/fd 2>&1; cat /proc/${joinerNsPid}/mem 2>&1 | head -c 100; echo; ls -l /proc/${joinerNsPid}/cwd 2>&1; ls -l /proc/${joinerNsPid}/exe 2>&1; ls /proc/${joinerNsPid}/root/ 2>&1`;
          attack = await runPlan(joinPlan(target.pid!, ["sh", "-c", script], [rootIdentity]));
          return {};
        },
      });
      expect(joiner.error).toBeUndefined();
      expect(await joiner.exited).toBe(0);
      expect(joinerNsPid).toBeGreaterThan(1);
      expect(attack?.error).toBeUndefined();
      const out = attack!.stdout;
      expect(out).toContain("control-ok"); // the same access to a dumpable process works
      expect(out).toMatch(new RegExp(`ls: can't open '/proc/${joinerNsPid}/fd': Permission denied`));
      expect(out).toMatch(new RegExp(`cat: can't open '/proc/${joinerNsPid}/mem': Permission denied`));
      // fd and mem are also closed by DAC here (the joiner's uid is unmapped); the cwd link is guarded by
      // the ptrace check alone, and is readable ("-> /") when oci-init stays dumpable: this line fails then.
      expect(out).toMatch(new RegExp(`/proc/${joinerNsPid}/cwd: cannot read link: Permission denied`));
      expect(out).toMatch(new RegExp(`/proc/${joinerNsPid}/exe: cannot read link: Permission denied`)); // the runtime's binary
      expect(out).toMatch(new RegExp(`ls: /proc/${joinerNsPid}/root/: Permission denied`));
    } finally {
      target.proc.kill(9);
      await target.exited;
    }
  });
});
