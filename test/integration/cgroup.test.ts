/**
 * oci-cgroup on the real hierarchies of this host (v1 hybrid here; the v2
 * paths are covered by unit tests and the VM suite): create, exec (join and
 * run, like cgexec), pids, freeze/thaw, kill, delete, absolute and
 * systemd-style paths.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { detectHost, planCgroup, type CgroupPlan } from "../../packages/cgroup/src/index.ts";
import { ID_PREFIX } from "../lib/bundle.ts";
import { toolCommand } from "../lib/tools.ts";
import { findLeaks, formatLeaks, newLeaks, type Leak } from "../leak-check.ts";

let before: Leak[];
const made: string[][] = [];
const tag = `${ID_PREFIX}-${process.pid}-cg`;

function cg(...args: string[]): { code: number; stdout: string; stderr: string } {
  const [cmd, ...pre] = toolCommand("oci-cgroup");
  const r = spawnSync(cmd!, [...pre, ...args], { encoding: "utf8", timeout: 30_000 });
  return { code: r.status ?? 137, stdout: r.stdout, stderr: r.stderr };
}

function plan(args: { id?: string; path?: string; systemd?: boolean }): CgroupPlan {
  const h = detectHost();
  return planCgroup({ layout: h.layout, own: h.own, id: args.id ?? "", cgroupsPath: args.path, systemd: args.systemd });
}

beforeAll(() => {
  before = findLeaks();
});

afterAll(() => {
  for (const sel of made) cg("delete", "--kill", ...sel);
  const leaks = newLeaks(before, [tag]);
  if (leaks.length) throw new Error(`leaked:\n${formatLeaks(leaks)}`);
});

describe("oci-cgroup", () => {
  test("create makes one directory per hierarchy; delete removes them", () => {
    const sel = ["--id", `${tag}-a`];
    made.push(sel);
    const r = cg("create", ...sel);
    expect(r.code).toBe(0);
    const p = JSON.parse(r.stdout) as CgroupPlan;
    expect(p).toEqual(plan({ id: `${tag}-a` }));
    for (const d of p.dirs) expect(existsSync(d.path)).toBe(true);
    expect(cg("pids", ...sel).stdout).toBe("[]\n");
    expect(cg("delete", ...sel).code).toBe(0);
    for (const d of p.dirs) expect(existsSync(d.path)).toBe(false);
  });

  test("exec runs the command inside the cgroup (every hierarchy)", () => {
    const sel = ["--id", `${tag}-b`];
    made.push(sel);
    const r = cg("exec", ...sel, "--", "cat", "/proc/self/cgroup");
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines.length).toBeGreaterThan(1);
    for (const l of lines) expect(l.endsWith(`/${tag}-b`)).toBe(true);
    expect(cg("exec", ...sel, "--", "sh", "-c", "exit 5").code).toBe(5);
    expect(cg("delete", ...sel).code).toBe(0);
  });

  test("pids, freeze/thaw and kill reach every process, even forking ones", async () => {
    const sel = ["--id", `${tag}-c`];
    made.push(sel);
    const [cmd, ...pre] = toolCommand("oci-cgroup");
    const child = spawn(cmd!, [...pre, "exec", ...sel, "--", "sh", "-c", "sleep 100 & sleep 100 & while :; do sleep 0.01; done"], { stdio: "ignore" });
    const exited = new Promise<number>((resolve) => child.on("exit", (c, s) => resolve(c ?? (s === "SIGKILL" ? 137 : 143))));
    let pids: number[] = [];
    for (let i = 0; i < 200 && pids.length < 4; i++) {
      await Bun.sleep(20);
      pids = JSON.parse(cg("pids", ...sel).stdout) as number[];
    }
    expect(pids.length).toBeGreaterThanOrEqual(4); // oci-cgroup itself, sh, two sleeps
    const p = plan({ id: `${tag}-c` });
    expect(cg("freeze", ...sel).code).toBe(0);
    expect(readFileSync(`${p.freezer!.dir}/freezer.state`, "utf8").trim()).toBe("FROZEN");
    expect(cg("thaw", ...sel).code).toBe(0);
    expect(readFileSync(`${p.freezer!.dir}/freezer.state`, "utf8").trim()).toBe("THAWED");
    expect(cg("kill", ...sel, "KILL").code).toBe(0);
    expect(await exited).toBe(137);
    for (let i = 0; i < 100 && (JSON.parse(cg("pids", ...sel).stdout) as number[]).length > 0; i++) await Bun.sleep(10);
    expect(cg("pids", ...sel).stdout).toBe("[]\n");
    expect(cg("delete", ...sel).code).toBe(0);
  });

  test("absolute paths and systemd slice:prefix:name", () => {
    const abs = ["--cgroups-path", `/${tag}-parent/child`];
    made.push(abs);
    const r = JSON.parse(cg("create", ...abs).stdout) as CgroupPlan;
    expect(r.dirs.every((d) => d.path.endsWith(`/${tag}-parent/child`))).toBe(true);
    expect(r.dirs.find((d) => d.controllers.includes("memory"))!.path).toBe(`/sys/fs/cgroup/memory/${tag}-parent/child`);
    expect(cg("delete", ...abs).code).toBe(0);
    // The parent stays, as with runc; remove it here.
    for (const d of r.dirs) spawnSync("rmdir", [d.path.replace(/\/child$/, "")]);

    const sd = JSON.parse(cg("plan", "--systemd-cgroup", "--cgroups-path", `machine.slice:${tag}:x1`).stdout) as CgroupPlan;
    expect(sd.dirs[0]!.path.endsWith(`/machine.slice/${tag}-x1.scope`)).toBe(true);
    const bad = cg("plan", "--systemd-cgroup", "--cgroups-path", "/not/a/triple");
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("slice:prefix:name");
  });

  test("delete --kill removes a cgroup with processes; a busy cgroup without --kill fails clearly", async () => {
    const sel = ["--id", `${tag}-d`];
    made.push(sel);
    const [cmd, ...pre] = toolCommand("oci-cgroup");
    const child = spawn(cmd!, [...pre, "exec", ...sel, "--", "sleep", "100"], { stdio: "ignore" });
    const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
    for (let i = 0; i < 200 && (JSON.parse(cg("pids", ...sel).stdout || "[]") as number[]).length < 2; i++) await Bun.sleep(20);
    const busy = cg("delete", ...sel);
    expect(busy.code).toBe(1);
    expect(busy.stderr).toContain("EBUSY");
    expect(cg("delete", "--kill", ...sel).code).toBe(0);
    await exited;
    for (const d of plan({ id: `${tag}-d` }).dirs) expect(existsSync(d.path)).toBe(false);
  });
});
