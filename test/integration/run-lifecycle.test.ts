/**
 * oci-run's lifecycle on real containers: status transitions per the
 * runtime-spec, wrong-state errors with the texts clients match, output
 * shapes (state, list, --version), pid file, JSON logs, kill's signal forms.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { TestEnv } from "../lib/container.ts";

let env: TestEnv;
let bundle: string;

beforeAll(async () => {
  env = new TestEnv();
  // A long-running init that traps TERM (pid 1 ignores signals without a handler).
  bundle = await env.bundle("life", { edit: (c) => (c.process.args = ["sh", "-c", "trap 'exit 42' TERM; while :; do sleep 0.05; done"]) });
});

afterAll(() => {
  env.finish();
});

function state(id: string): Record<string, unknown> {
  const r = env.ociRun("state", id);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  expect(r.stdout.endsWith("}")).toBe(true); // no trailing newline
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

async function waitStatus(id: string, want: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  let last = "";
  for (;;) {
    const r = env.ociRun("state", id); // may not exist yet while a parallel create starts
    last = r.code === 0 ? String((JSON.parse(r.stdout) as Record<string, unknown>).status) : r.stderr.trim();
    if (last === want) return;
    if (Date.now() > deadline) throw new Error(`${id} never became ${want} (last: ${last})`);
    await Bun.sleep(20);
  }
}

/**
 * Waits until the container's init has a handler for `signal` (SigCgt in
 * /proc/<pid>/status): a signal sent earlier reaches a pid 1 still at the
 * default disposition, which the kernel drops — the same race runc has.
 */
async function waitCaught(id: string, signal: number, ms = 5000): Promise<void> {
  const pid = Number(state(id).pid);
  const deadline = Date.now() + ms;
  for (;;) {
    const m = /^SigCgt:\s*([0-9a-f]+)$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    if (m && (BigInt(`0x${m[1]}`) >> BigInt(signal - 1)) & 1n) return;
    if (Date.now() > deadline) throw new Error(`${id}: pid ${pid} never caught signal ${signal}`);
    await Bun.sleep(5);
  }
}

function expectError(r: { code: number; stderr: string; stdout: string }, substring: string) {
  expect(r.code).toBe(1);
  expect(r.stdout).toBe("");
  expect(r.stderr).toContain(substring);
  expect(r.stderr.startsWith("oci-run: ")).toBe(true);
  expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
}

describe("lifecycle", () => {
  test("create → created, start → running, kill → stopped, delete → gone", async () => {
    const id = env.id("life");
    const pidFile = `${env.dir}/life.pid`;
    const c = env.ociRun("create", "--bundle", bundle, "--pid-file", pidFile, id);
    expect(c.stderr).toBe("");
    expect(c.code).toBe(0);
    const s = state(id);
    expect(Object.keys(s)).toEqual(["ociVersion", "id", "pid", "status", "bundle", "rootfs", "created", "owner"]);
    expect(s.status).toBe("created");
    expect(s.id).toBe(id);
    expect(s.bundle).toBe(bundle);
    expect(s.rootfs).toBe(`${bundle}/rootfs`);
    expect(s.owner).toBe("");
    expect(String(s.created)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z$/);
    expect(readFileSync(pidFile, "utf8")).toBe(String(s.pid));
    // The init lives on after create returned, in the container's cgroup.
    expect(readFileSync(`/proc/${s.pid}/cgroup`, "utf8")).toContain(`/${id}\n`);
    expect(statSync(`${env.root}/${id}`).mode & 0o777).toBe(0o700);

    expectError(env.ociRun("create", "--bundle", bundle, id), "already exists");
    expectError(env.ociRun("delete", id + "-nope"), "does not exist");

    expect(env.ociRun("start", id).code).toBe(0);
    expect(state(id).status).toBe("running");
    expectError(env.ociRun("start", id), "not created");
    expectError(env.ociRun("delete", id), "not stopped");

    await waitCaught(id, 15);
    expect(env.ociRun("kill", id, "TERM").code).toBe(0);
    await waitStatus(id, "stopped");
    expect(state(id).pid).toBe(0);
    expectError(env.ociRun("kill", id, "KILL"), "container not running");
    expectError(env.ociRun("start", id), "container not running");

    expect(env.ociRun("delete", id).code).toBe(0);
    expect(existsSync(`${env.root}/${id}`)).toBe(false);
    expectError(env.ociRun("state", id), "does not exist");
  });

  test("delete of a created (never started) container kills its init without --force", () => {
    const id = env.id("cdel");
    expect(env.ociRun("create", "-b", bundle, id).code).toBe(0);
    const pid = state(id).pid as number;
    expect(env.ociRun("delete", id).code).toBe(0);
    expect(existsSync(`/proc/${pid}/stat`) && !readFileSync(`/proc/${pid}/stat`, "utf8").includes(") Z ")).toBe(false);
  });

  test("delete --force of a running container; of a missing one exits 0", () => {
    const id = env.id("force");
    expect(env.ociRun("run", "-d", "-b", bundle, id).code).toBe(0);
    expect(state(id).status).toBe("running");
    expect(env.ociRun("delete", "--force", id).code).toBe(0);
    expect(existsSync(`${env.root}/${id}`)).toBe(false);
    const again = env.ociRun("delete", "--force", id);
    expect(again.code).toBe(0);
    expect(again.stderr).toBe("");
  });

  test("kill accepts names with and without SIG and numbers; --all reaches every process", async () => {
    for (const sig of ["SIGTERM", "TERM", "15"]) {
      const id = env.id("sig");
      expect(env.ociRun("run", "-d", "-b", bundle, id).code).toBe(0);
      await waitCaught(id, 15);
      expect(env.ociRun("kill", id, sig).code).toBe(0);
      await waitStatus(id, "stopped");
      expect(env.ociRun("delete", id).code).toBe(0);
    }
    const id = env.id("all");
    expect(env.ociRun("run", "-d", "-b", bundle, id).code).toBe(0);
    expect(env.ociRun("kill", "--all", id, "KILL").code).toBe(0);
    await waitStatus(id, "stopped");
    expect(env.ociRun("delete", id).code).toBe(0);
    expect(env.ociRun("kill", env.id("x"), "NOTASIGNAL").code).toBe(2);
  });

  test("stop: SIGTERM, and SIGKILL after --timeout when ignored", async () => {
    const id = env.id("stop");
    expect(env.ociRun("run", "-d", "-b", bundle, id).code).toBe(0);
    await waitCaught(id, 15);
    expect(env.ociRun("stop", id).code).toBe(0);
    expect(state(id).status).toBe("stopped");
    expect(env.ociRun("delete", id).code).toBe(0);

    const stubborn = await env.bundle("stubborn", { edit: (c) => (c.process.args = ["sh", "-c", "trap '' TERM; while :; do sleep 0.05; done"]) });
    const id2 = env.id("stop2");
    expect(env.ociRun("run", "-d", "-b", stubborn, id2).code).toBe(0);
    const t0 = Date.now();
    expect(env.ociRun("stop", "--timeout", "1", id2).code).toBe(0);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
    expect(state(id2).status).toBe("stopped");
    expect(env.ociRun("delete", id2).code).toBe(0);
  });

  test("run in the foreground exits with the container's status and deletes it; --keep keeps it", async () => {
    const b = await env.bundle("exit3", { edit: (c) => (c.process.args = ["sh", "-c", "echo out; echo err >&2; exit 3"]) });
    const id = env.id("fg");
    const r = env.ociRun("run", "-b", b, id);
    expect(r).toEqual({ code: 3, stdout: "out\n", stderr: "err\n" });
    expect(existsSync(`${env.root}/${id}`)).toBe(false);
    const kept = env.id("keep");
    expect(env.ociRun("run", "--keep", "-b", b, kept).code).toBe(3);
    expect(state(kept).status).toBe("stopped");
    expect(env.ociRun("delete", kept).code).toBe(0);
    // Killed by a signal → 128+N (pid 1 cannot SIGKILL itself: kill it from outside).
    const k = env.id("k");
    const running = env.ociRunAsync("run", "-b", bundle, k);
    await waitStatus(k, "running");
    expect(env.ociRun("kill", k, "KILL").code).toBe(0);
    expect((await running).code).toBe(137);
    expect(existsSync(`${env.root}/${k}`)).toBe(false);
  });

  test("run forwards signals to the container (SIGTERM → its trap → exit 42)", async () => {
    const id = env.id("fwd");
    const bg = env.ociRunBackground("run", "-b", bundle, id);
    await waitStatus(id, "running");
    bg.child.kill("SIGTERM");
    expect(await bg.done).toBe(42);
    expect(existsSync(`${env.root}/${id}`)).toBe(false);
  });

  test("--preserve-fds passes extra fds as 3…; nothing else leaks into the container", async () => {
    const b = await env.bundle("fds", { edit: (c) => (c.process.args = ["sh", "-c", "ls /proc/self/fd | sort -n | tr '\\n' ' '; cat <&3"]) });
    const file = `${env.dir}/fd3.txt`;
    require("node:fs").writeFileSync(file, "through fd 3\n");
    const fd3 = require("node:fs").openSync(file, "r");
    const [cmd, ...pre] = (await import("../lib/tools.ts")).toolCommand("oci-run");
    const r = spawnSync(cmd!, [...pre, "--root", env.root, "run", "--preserve-fds", "1", "-b", b, env.id("fds")], { stdio: ["ignore", "pipe", "pipe", fd3], encoding: "utf8" });
    require("node:fs").closeSync(fd3);
    expect(r.stderr).toBe("");
    // 0-2, the preserved 3, and the fd ls itself opens for /proc/self/fd (3 is taken, so 4).
    expect(r.stdout).toBe("0 1 2 3 4 through fd 3\n");
    const no = env.ociRun("run", "-b", b, env.id("nofds"));
    expect(no.stdout.startsWith("0 1 2 3 ")).toBe(true); // 3 is now ls's own directory fd
    expect(no.stdout).not.toContain("through fd 3");
  });

  test("list: table, json, -q; null when empty", () => {
    const empty = env.ociRun("list", "--format", "json");
    expect(empty.stdout).toBe("null\n");
    expect(env.ociRun("list").stdout).toBe("ID          PID         STATUS      BUNDLE      CREATED     OWNER\n");
    const a = env.id("la");
    const b = env.id("lb");
    expect(env.ociRun("create", "-b", bundle, a).code).toBe(0);
    expect(env.ociRun("run", "-d", "-b", bundle, b).code).toBe(0);
    const rows = JSON.parse(env.ociRun("list", "--format", "json").stdout) as Record<string, unknown>[];
    expect(rows.map((r) => [r.id, r.status, r.owner])).toEqual([
      [a, "created", "root"],
      [b, "running", "root"],
    ]);
    expect(env.ociRun("list", "-q").stdout).toBe(`${a}\n${b}\n`);
    const table = env.ociRun("list").stdout.split("\n");
    expect(table[0]).toMatch(/^ID +PID +STATUS +BUNDLE +CREATED +OWNER$/);
    expect(table[1]).toMatch(new RegExp(`^${a} +\\d+ +created +${bundle} +\\S+ +root$`));
    expect(env.ociRun("delete", "-f", a).code).toBe(0);
    expect(env.ociRun("delete", "-f", b).code).toBe(0);
  });

  test("--log-format json: one error line {level,msg,time}; --log appends to a file and keeps stderr", () => {
    const r = env.ociRun("--log-format", "json", "state", "nope");
    expect(r.code).toBe(1);
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines).toHaveLength(1);
    const obj = JSON.parse(lines[0]!) as Record<string, string>;
    expect(obj.level).toBe("error");
    expect(obj.msg).toContain("does not exist");
    expect(obj.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const log = `${env.dir}/log.json`;
    const f = env.ociRun("--log", log, "--log-format", "json", "delete", "nope");
    expect(f.stderr).toContain("oci-run: container nope does not exist");
    const logged = readFileSync(log, "utf8").trimEnd().split("\n");
    expect(logged).toHaveLength(1);
    expect(JSON.parse(logged[0]!).msg).toContain("does not exist");
  });

  test("invalid ids never touch the disk", () => {
    for (const bad of ["../x", "a/b", ".hidden", ""]) {
      const r = env.ociRun("create", "-b", bundle, bad);
      expect(r.code).not.toBe(0);
    }
    expectError(env.ociRun("state", "../x"), "invalid container ID");
    expect(readdirSync(env.dir).includes("x")).toBe(false);
  });

  test("--version: the three lines containerd parses", () => {
    const r = env.ociRun("--version");
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^oci-run version \S+$/);
    expect(lines[1]).toMatch(/^commit: \S+$/);
    expect(lines[2]).toBe("spec: 1.2.0");
  });

  test("spec writes config.json once", () => {
    const dir = `${env.dir}/specdir`;
    require("node:fs").mkdirSync(dir);
    expect(env.ociRun("spec", "--bundle", dir).code).toBe(0);
    expect(JSON.parse(readFileSync(`${dir}/config.json`, "utf8")).ociVersion).toBe("1.2.0");
    expectError(env.ociRun("spec", "--bundle", dir), "exists");
  });
});
