/**
 * oci-cgroup on a real, pure cgroup v2 hierarchy (the VM): layout detection,
 * create with limits (controllers enabled down the path), exec, pids,
 * freeze/thaw (cgroup.freeze, cgroup.events), kill (signal under a freeze;
 * cgroup.kill for KILL), delete, and nothing left behind.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { detectHost, planCgroup, type CgroupPlan } from "../../packages/cgroup/src/index.ts";
import { ID_PREFIX, scratchDir } from "../lib/bundle.ts";
import { toolCommand } from "../lib/tools.ts";
import { findLeaks, formatLeaks, newLeaks, type Leak } from "../leak-check.ts";
import { CGROUP_ROOT, alive, ociCgroup as cg, onV2, procsOf, read, stageBinaries, waitFor } from "./lib.ts";

const tag = `${ID_PREFIX}-${process.pid}-v2cg`;
let before: Leak[] = [];
const made: string[][] = [];
const parents: string[] = [];
let scratch = "";

beforeAll(() => {
  if (!onV2) return;
  stageBinaries();
  before = findLeaks();
  scratch = scratchDir();
});

/** Removes whatever the tests made (all of it already, unless one failed). */
function cleanup(): void {
  for (const sel of made.splice(0)) if (existsSync(planFromSel(sel))) cg("delete", "--kill", ...sel);
  for (const p of parents.splice(0).reverse()) spawnSync("rmdir", [p]);
  if (scratch) rmSync(scratch, { recursive: true, force: true });
}

/** The cgroup directory a selector names (--id X / --cgroups-path P / --bundle B). */
function planFromSel(sel: string[]): string {
  const h = detectHost();
  const [flag, value] = sel as [string, string];
  if (flag === "--bundle") {
    const cfg = JSON.parse(read(join(value, "config.json"))) as { linux: { cgroupsPath: string } };
    return planCgroup({ ...h, id: "", cgroupsPath: cfg.linux.cgroupsPath }).dirs[0]!.path;
  }
  return planCgroup({ ...h, id: flag === "--id" ? value : "", cgroupsPath: flag === "--id" ? undefined : value }).dirs[0]!.path;
}

afterAll(() => {
  if (onV2) cleanup(); // for a failed run; the last test already did it
});

/** argv joined by spaces; "" once the process is gone. */
function cmdlineOf(pid: number): string {
  try {
    return read(`/proc/${pid}/cmdline`).split("\0").filter(Boolean).join(" ");
  } catch {
    return "";
  }
}

/** Starts `oci-cgroup exec SEL -- sh -c SCRIPT` in the background. */
function execInBackground(sel: string[], script: string): Promise<number> {
  const [cmd, ...pre] = toolCommand("oci-cgroup");
  const child = spawn(cmd!, [...pre, "exec", ...sel, "--", "sh", "-c", script], { stdio: "ignore" });
  return new Promise<number>((resolve) => child.on("exit", (c, s) => resolve(c ?? (s === "SIGKILL" ? 137 : s === "SIGTERM" ? 143 : 128))));
}

describe.skipIf(!onV2)("oci-cgroup on cgroup v2", () => {
  test("the layout is v2: one plan directory, the v2 freezer", () => {
    const host = detectHost();
    expect(host.layout.kind).toBe("v2");
    expect(host.own.get("")).toBeDefined();
    const r = cg("plan", "--id", `${tag}-p`);
    expect(r.code).toBe(0);
    const p = JSON.parse(r.stdout) as CgroupPlan;
    expect(p.version).toBe("v2");
    const own = host.own.get("")!;
    const dir = `${CGROUP_ROOT}${own === "/" ? "" : own}/${tag}-p`;
    expect(p.dirs).toEqual([{ controllers: ["unified"], path: dir }]);
    expect(p.freezer).toEqual({ kind: "v2", dir });
  });

  test("create applies pids.max and memory.max, enabling the controllers in every parent on the way", () => {
    // A nested absolute path: the parent is new, so its cgroup.subtree_control starts empty.
    const bundle = join(scratch, "limits");
    mkdirSync(bundle, { recursive: true });
    const path = `/${tag}-lim/inner/leaf`;
    writeFileSync(join(bundle, "config.json"), JSON.stringify({ linux: { cgroupsPath: path, resources: { pids: { limit: 7 }, memory: { limit: 32 * 1024 * 1024 } } } }));
    const sel = ["--bundle", bundle];
    made.push(sel);
    parents.push(`${CGROUP_ROOT}/${tag}-lim`, `${CGROUP_ROOT}/${tag}-lim/inner`);
    const r = cg("create", ...sel);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const leaf = `${CGROUP_ROOT}${path}`;
    expect(read(`${leaf}/pids.max`).trim()).toBe("7");
    expect(read(`${leaf}/memory.max`).trim()).toBe(String(32 * 1024 * 1024));
    for (const parent of [`${CGROUP_ROOT}/${tag}-lim`, `${CGROUP_ROOT}/${tag}-lim/inner`]) {
      const enabled = read(`${parent}/cgroup.subtree_control`).trim().split(" ");
      expect(enabled).toContain("pids");
      expect(enabled).toContain("memory");
    }
    // The container's own cgroup is a leaf: nothing enabled below it (processes live there).
    expect(read(`${leaf}/cgroup.subtree_control`).trim()).toBe("");
    expect(cg("delete", ...sel).code).toBe(0);
    expect(existsSync(leaf)).toBe(false);
  });

  test("a negative memory limit and a zero pids limit are written as max", () => {
    const bundle = join(scratch, "maxlimit");
    mkdirSync(bundle, { recursive: true });
    writeFileSync(join(bundle, "config.json"), JSON.stringify({ linux: { cgroupsPath: `/${tag}-neg`, resources: { memory: { limit: -1 }, pids: { limit: 0 } } } }));
    const sel = ["--bundle", bundle];
    made.push(sel);
    const r = cg("create", ...sel);
    expect(r.code).toBe(0);
    expect(read(`${CGROUP_ROOT}/${tag}-neg/memory.max`).trim()).toBe("max");
    expect(read(`${CGROUP_ROOT}/${tag}-neg/pids.max`).trim()).toBe("max");
    expect(cg("delete", ...sel).code).toBe(0);
  });

  test("a limit that cannot apply fails with the reason and leaves no directory behind", () => {
    // oci-cgroup run from a populated (non-root) cgroup, relative path: the
    // kernel keeps controllers out of a cgroup with processes, so pids.max
    // cannot exist below it.
    const own = `${CGROUP_ROOT}/${tag}-busy`;
    mkdirSync(own);
    parents.push(own);
    const bundle = join(scratch, "nolimit");
    mkdirSync(bundle, { recursive: true });
    writeFileSync(join(bundle, "config.json"), JSON.stringify({ linux: { cgroupsPath: "made/leaf", resources: { pids: { limit: 9 } } } }));
    const [cmd, ...pre] = toolCommand("oci-cgroup");
    const r = spawnSync("sh", ["-c", `echo $$ > ${own}/cgroup.procs && exec "$@"`, "sh", cmd!, ...pre, "create", "--bundle", bundle], { encoding: "utf8", timeout: 120_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      `oci-cgroup: write 9 to ${own}/made/leaf/pids.max: EACCES (no such file: the pids controller is not enabled in ${own}/cgroup.subtree_control, and cannot be: that cgroup has processes of its own)\n`,
    );
    expect(existsSync(`${own}/made`)).toBe(false);
    // Not even a threaded controller alone: that would make it a thread root and lock its children out.
    expect(read(`${own}/cgroup.subtree_control`).trim()).toBe("");
  });

  test("exec runs the command in the cgroup: /proc/self/cgroup is 0::<path>", () => {
    const sel = ["--id", `${tag}-e`];
    made.push(sel);
    const own = detectHost().own.get("")!;
    const r = cg("exec", ...sel, "--", "cat", "/proc/self/cgroup");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`0::${own === "/" ? "" : own}/${tag}-e\n`);
    expect(cg("exec", ...sel, "--", "sh", "-c", "exit 3").code).toBe(3);
    expect(cg("delete", ...sel).code).toBe(0);
    expect(existsSync(`${CGROUP_ROOT}/${tag}-e`)).toBe(false);
  });

  test("pids, freeze (cgroup.events frozen 1), thaw, kill TERM under a freeze, then cgroup.kill", async () => {
    const sel = ["--cgroups-path", `/${tag}-f`];
    made.push(sel);
    const dir = `${CGROUP_ROOT}/${tag}-f`;
    // sh handles TERM (so it survives the TERM round); its children get the default action back on exec.
    const exited = execInBackground(sel, "trap : TERM; sleep 1000 & sleep 1000 & sleep 1000 & while :; do sleep 0.05; done");
    let pids: number[] = [];
    await waitFor(() => existsSync(dir) && (pids = JSON.parse(cg("pids", ...sel).stdout || "[]") as number[]).length >= 5, 60_000, "oci-cgroup, sh and the sleeps in the cgroup");
    expect(pids).toEqual(procsOf(dir).sort((a, b) => a - b));

    expect(cg("freeze", ...sel).code).toBe(0);
    expect(read(`${dir}/cgroup.freeze`).trim()).toBe("1");
    expect(read(`${dir}/cgroup.events`)).toMatch(/^frozen 1$/m);
    expect(cg("thaw", ...sel).code).toBe(0);
    expect(read(`${dir}/cgroup.freeze`).trim()).toBe("0");
    await waitFor(() => /^frozen 0$/m.test(read(`${dir}/cgroup.events`)), 10_000, "frozen 0");

    // TERM: oci-cgroup exec (the parent, waiting) and the sleeps go; sh stays.
    const shPids = procsOf(dir).filter((p) => cmdlineOf(p).startsWith("sh "));
    expect(shPids.length).toBe(1);
    expect(cg("kill", ...sel, "TERM").code).toBe(0);
    expect(read(`${dir}/cgroup.events`)).toMatch(/^frozen 0$/m); // thawed again afterwards
    await waitFor(() => procsOf(dir).every((p) => cmdlineOf(p) !== "sleep 1000"), 30_000, "the sleeps to die of TERM");
    expect(await exited).toBe(143);
    expect(alive(shPids[0]!)).toBe(true);

    // KILL goes through cgroup.kill: everything, including sh's fresh children.
    expect(cg("kill", ...sel).code).toBe(0);
    await waitFor(() => procsOf(dir).length === 0, 30_000, "an empty cgroup after cgroup.kill");
    expect(read(`${dir}/cgroup.events`)).toMatch(/^populated 0$/m);
    expect(cg("pids", ...sel).stdout).toBe("[]\n");
    expect(cg("delete", ...sel).code).toBe(0);
    expect(existsSync(dir)).toBe(false);
  });

  test("delete --kill empties and removes a busy cgroup, also one with child cgroups", async () => {
    const sel = ["--id", `${tag}-d`];
    made.push(sel);
    const p = planCgroup({ ...detectHost(), id: `${tag}-d` });
    const dir = p.dirs[0]!.path;
    const exited = execInBackground(sel, "exec sleep 1000");
    await waitFor(() => existsSync(dir) && procsOf(dir).length >= 2, 60_000, "the sleep in the cgroup");
    const busy = cg("delete", ...sel);
    expect(busy.code).toBe(1);
    expect(busy.stderr).toContain("EBUSY");
    // What a container with a delegated cgroup may do: sub-cgroups of its own,
    // with its processes moved down (cgroup.procs of the top one no longer lists them).
    mkdirSync(`${dir}/sub/deeper`, { recursive: true });
    const sleeper = procsOf(dir).find((p) => cmdlineOf(p) === "sleep 1000")!;
    expect(sleeper).toBeDefined();
    writeFileSync(`${dir}/sub/deeper/cgroup.procs`, String(sleeper));
    expect(procsOf(dir)).not.toContain(sleeper);
    expect(JSON.parse(cg("pids", ...sel).stdout) as number[]).toContain(sleeper);
    expect(cg("delete", "--kill", ...sel).code).toBe(0);
    expect(await exited).toBe(137);
    expect(existsSync(dir)).toBe(false);
  });

  test("nothing left behind", () => {
    cleanup();
    expect(formatLeaks(newLeaks(before, [tag, scratch]))).toBe("");
  });
});
