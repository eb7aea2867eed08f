/**
 * `oci-run ps` (issue 4): ps(1)'s header and the container's rows (exec'd
 * processes included), `--format json` as a list of host pids, runc's
 * output for the same container.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { TestEnv } from "../lib/container.ts";

let env: TestEnv;

beforeAll(() => {
  env = new TestEnv();
});

afterAll(() => {
  env.finish();
});

const pidColumn = (out: string) => {
  const [header, ...rows] = out.trimEnd().split("\n");
  const col = header!.trim().split(/\s+/).indexOf("PID");
  return rows.map((r) => Number(r.trim().split(/\s+/)[col]));
};

describe("ps", () => {
  test("ps -ef rows, ps args and --format json: the init and an exec'd process, nothing else", async () => {
    const b = await env.bundle("ps", { edit: (c) => (c.process.args = ["sleep", "1000"]) });
    const id = env.id("ps");
    expect(env.ociRun("run", "--detach", "--bundle", b, id).code).toBe(0);
    const init = JSON.parse(env.ociRun("state", id).stdout).pid as number;
    const pidFile = `${env.dir}/ps-exec.pid`;
    expect(env.ociRun("exec", "--detach", "--pid-file", pidFile, id, "sleep", "999").code).toBe(0);
    const execd = Number(readFileSync(pidFile, "utf8"));

    const json = env.ociRun("ps", "--format", "json", id);
    expect(json.code).toBe(0);
    expect((JSON.parse(json.stdout) as number[]).sort()).toEqual([init, execd].sort());

    const table = env.ociRun("ps", id);
    expect(table.code).toBe(0);
    expect(table.stdout.split("\n")[0]).toMatch(/^UID\s+PID\s+PPID\s+C\s+STIME\s+TTY\s+TIME\s+CMD$/);
    expect(pidColumn(table.stdout).sort()).toEqual([init, execd].sort());
    expect(table.stdout).toContain("sleep 1000");
    expect(table.stdout).toContain("sleep 999");

    const custom = env.ociRun("ps", id, "-o", "pid,comm");
    expect(custom.stdout.split("\n")[0]!.trim()).toBe("PID COMMAND");
    expect(pidColumn(custom.stdout).sort()).toEqual([init, execd].sort());

    const noPid = env.ociRun("ps", id, "-o", "comm");
    expect(noPid.code).toBe(1);
    expect(noPid.stderr).toContain("couldn't find PID field in ps output");

    expect(env.ociRun("kill", id, "KILL").code).toBe(0);
    for (let i = 0; i < 100 && JSON.parse(env.ociRun("state", id).stdout).status !== "stopped"; i++) await Bun.sleep(20);
    for (let i = 0; i < 100 && env.ociRun("ps", "--format", "json", id).stdout !== "null\n"; i++) await Bun.sleep(20);
    expect(env.ociRun("ps", "--format", "json", id).stdout).toBe("null\n"); // runc prints null for none
    expect(env.ociRun("ps", id).stdout.trimEnd().split("\n")).toHaveLength(1); // the header only
    expect(env.ociRun("delete", id).code).toBe(0);
  }, 30_000);

  test("an unknown container", () => {
    const r = env.ociRun("ps", env.id("nope"));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("does not exist");
  });

  test.skipIf(!Bun.which("runc"))("the same rows as runc ps shows for its own container of the same bundle", async () => {
    const b = await env.bundle("ps-cmp", { edit: (c) => (c.process.args = ["sleep", "1000"]) });
    const id = env.id("ps-cmp");
    expect(env.ociRun("run", "--detach", "--bundle", b, id).code).toBe(0);
    expect(env.runc("run", "--detach", "--bundle", b, id).code).toBe(0);
    try {
      const cmd = (out: string) => out.trimEnd().split("\n").map((l) => l.trim().split(/\s+/).slice(7).join(" "));
      const ours = env.ociRun("ps", id);
      const theirs = env.runc("ps", id);
      expect(ours.stdout.split("\n")[0]).toBe(theirs.stdout.split("\n")[0]);
      expect(cmd(ours.stdout)).toEqual(cmd(theirs.stdout));
      expect((JSON.parse(env.ociRun("ps", "--format", "json", id).stdout) as number[]).length).toBe((JSON.parse(env.runc("ps", "--format", "json", id).stdout) as number[]).length);
    } finally {
      env.ociRun("delete", "--force", id);
      env.runc("delete", "--force", id);
    }
  }, 30_000);
});
