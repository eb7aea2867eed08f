/**
 * oci-init's create/start protocol: stage0 "exit" with an exec fifo, the
 * memory of a waiting init, failure paths, and the decoder's refusals.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, readlinkSync, statSync, symlinkSync, writeSync } from "node:fs";
import { join } from "node:path";
import { makeRootfs, type TestRootfs } from "../lib/rootfs.ts";
import { sh } from "../lib/oci-init.ts";
import { encodePlan } from "../../packages/plan/src/index.ts";
import { nativePath, runInit } from "../../packages/sys/src/index.ts";

let fs: TestRootfs;
beforeAll(() => (fs = makeRootfs()));
afterAll(() => fs.cleanup());

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

function vmRssKiB(pid: number): number {
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]);
}

let fifoCounter = 0;
function mkfifo(): string {
  const p = join(fs.dir, `exec-${++fifoCounter}.fifo`);
  expect(Bun.spawnSync(["mkfifo", "-m", "0622", p]).exitCode).toBe(0);
  return p;
}

describe("create mode (stage0 exit + exec fifo)", () => {
  test("ready, stage 0 exits 0, the init waits tiny on the fifo, start runs the process", async () => {
    const fifo = mkfifo();
    const plan = sh(fs.rootfs, "echo started", { stage0: "exit" });
    const run = await runInit({ ...plan, process: { ...plan.process, execFifo: fifo } }, { stdio: ["ignore", "pipe", "inherit"] });
    expect(run.error).toBeUndefined();
    expect(run.ready).toBe(true);
    expect(await run.exited).toBe(0);
    const pid = run.pid!;
    try {
      await Bun.sleep(50);
      const status = readFileSync(`/proc/${pid}/status`, "utf8");
      expect(status).toMatch(/^State:\s+S/m); // blocked opening the fifo
      const rss = vmRssKiB(pid);
      console.log(`waiting init VmRSS: ${rss} kB`);
      expect(rss).toBeLessThan(1024);
      expect(readlinkSafe(`/proc/${pid}/exe`)).toMatch(/memfd:oci-init/); // not yet exec'd
    } finally {
      expect(readFileSync(fifo, "utf8")).toBe("0"); // `start`
    }
    expect(await new Response(run.proc.stdout as ReadableStream).text()).toBe("started\n");
    expect(await gone(pid)).toBe(true);
  });

  test("without a fifo the process runs right after ready", async () => {
    const run = await runInit(sh(fs.rootfs, "echo now", { stage0: "exit" }), { stdio: ["ignore", "pipe", "inherit"] });
    expect(run.ready).toBe(true);
    expect(await run.exited).toBe(0);
    expect(await new Response(run.proc.stdout as ReadableStream).text()).toBe("now\n");
  });

  test("a failing op: stage 0 exits 1 and no process is left", async () => {
    const fifo = mkfifo();
    const plan = sh(fs.rootfs, "true", { stage0: "exit", ops: [{ op: "chdir", path: "/etc/passwd" }] });
    const run = await runInit({ ...plan, process: { ...plan.process, execFifo: fifo } }, { stdio: ["ignore", "ignore", "ignore"] });
    expect(run.ready).toBe(false);
    expect(run.error).toMatchObject({ op: plan.ops.length - 1, opName: "chdir", errno: "ENOTDIR" });
    expect(run.error?.message).toContain("/etc/passwd");
    expect(await run.exited).toBe(1);
    expect(await gone(run.pid!)).toBe(true);
  });

  test("stage 0 makes a missing exec fifo (mode 0622); one in a missing directory fails before any op", async () => {
    const plan = sh(fs.rootfs, "true", { stage0: "exit" });
    const made = join(fs.dir, `made-${++fifoCounter}.fifo`);
    const ok = await runInit({ ...plan, process: { ...plan.process, execFifo: made } }, { stdio: ["ignore", "ignore", "ignore"] });
    expect(ok.ready).toBe(true);
    const st = statSync(made);
    expect(st.isFIFO()).toBe(true);
    expect(st.mode & 0o777).toBe(0o622);
    process.kill(ok.pid!, "SIGKILL");
    expect(await ok.exited).toBe(0);
    const run = await runInit({ ...plan, process: { ...plan.process, execFifo: join(fs.dir, "no-dir", "exec.fifo") } }, { stdio: ["ignore", "ignore", "ignore"] });
    expect(run.error).toMatchObject({ op: -1, opName: "exec-fifo", errno: "ENOENT" });
    expect(await run.exited).toBe(1);
  });
  test("a symlink where the exec fifo goes is refused", async () => {
    const plan = sh(fs.rootfs, "true", { stage0: "exit" });
    const link = join(fs.dir, `link-${++fifoCounter}.fifo`);
    symlinkSync(mkfifo(), link);
    const run = await runInit({ ...plan, process: { ...plan.process, execFifo: link } }, { stdio: ["ignore", "ignore", "ignore"] });
    expect(run.error).toMatchObject({ op: -1, opName: "exec-fifo", errno: "ELOOP" });
    expect(await run.exited).toBe(1);
  });
});

function readlinkSafe(p: string): string {
  try {
    return readlinkSync(p);
  } catch {
    return "";
  }
}

/** Sends raw bytes as the plan and returns the messages and exit code. */
async function rawInit(body: Uint8Array): Promise<{ code: number; out: string }> {
  const proc = Bun.spawn([nativePath("oci-init")], { stdio: ["ignore", "ignore", "ignore", "pipe"] as never });
  const fd = (proc.stdio as unknown as number[])[3]!;
  const framed = new Uint8Array(4 + body.length);
  new DataView(framed.buffer).setUint32(0, body.length, true);
  framed.set(body, 4);
  writeSync(fd, framed);
  const out = await new Response(Bun.file(fd).stream()).text();
  return { code: await proc.exited, out };
}

describe("the decoder refuses malformed plans", () => {
  const good = () => encodePlan(sh("/nonexistent-rootfs", "true"));

  test("the valid encoding is accepted (fails later, at bind-rootfs)", async () => {
    const r = await rawInit(good());
    expect(r.out).toContain('"opName":"bind-rootfs"');
  });

  for (const [name, mangle] of [
    ["truncated", (b: Uint8Array) => b.slice(0, b.length - 3)],
    ["trailing bytes", (b: Uint8Array) => new Uint8Array([...b, 0])],
    ["bad magic", (b: Uint8Array) => (b.set([0x58], 0), b)],
    ["NUL inside a string", (b: Uint8Array) => (b.set([0], 4 + 4 + 4), b)],
    ["huge count", (b: Uint8Array) => (new DataView(b.buffer).setUint32(4 + 4 + 4 + "octest-native".length + 1, 0xffffffff, true), b)],
  ] as const) {
    test(name, async () => {
      const r = await rawInit(mangle(good()));
      expect(r.code).toBe(1);
      const msg = JSON.parse(r.out.trim().split("\n")[0]!);
      expect(msg).toMatchObject({ type: "error", op: -1, opName: "decode", errno: "EINVAL" });
      expect(msg.message).toMatch(/^plan offset \d+: /);
    });
  }

  test("fd 3 missing: usage error, exit 2", () => {
    const r = Bun.spawnSync([nativePath("oci-init")], { stdio: ["ignore", "ignore", "pipe"] });
    expect(r.exitCode).toBe(2);
    expect(r.stderr.toString()).toContain("fd 3");
    expect(existsSync(nativePath("oci-init"))).toBe(true);
  });
});
