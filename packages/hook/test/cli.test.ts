/** oci-hook through the real binary (test/lib/tools.ts): list and run, good and bad input. */
import { afterAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { toolCommand } from "../../../test/lib/tools.ts";
import { scratch } from "./helpers.ts";

const tmp = scratch();
afterAll(() => tmp.cleanup());

function run(args: string[], input = "", cwd?: string): { code: number | null; stdout: string; stderr: string } {
  const [cmd, ...pre] = toolCommand("oci-hook");
  const r = spawnSync(cmd!, [...pre, ...args], { input, encoding: "utf8", cwd });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

// The users' fragments, as copied into the repo by the spec package (same bytes as /work/shared/fixtures).
const seedFragments = readFileSync(join(import.meta.dir, "..", "..", "..", "test", "fixtures", "spec", "seed-config-fragments.json"), "utf8");

function bundle(name: string, hooks: object): string {
  const dir = join(tmp.dir, name);
  mkdirSync(dir);
  writeFileSync(join(dir, "config.json"), JSON.stringify({ ociVersion: "1.2.0", root: { path: "rootfs" }, process: { args: ["sh"], cwd: "/", user: { uid: 0, gid: 0 } }, hooks }));
  return dir;
}

const stateFile = join(tmp.dir, "state.json");
const state = { ociVersion: "1.2.0", id: "cli-test", status: "created", pid: 99, bundle: "/somewhere" };
writeFileSync(stateFile, JSON.stringify(state));

const recorder = tmp.script("record.sh", `printf '%s\\n' "$@" > "$1.args"\npwd > "$1.cwd"\ncat > "$1.stdin"`);

describe("oci-hook list", () => {
  test("the seed's fragments (rc1 config on stdin): one JSON line per hook, with its list name, in lifecycle order", () => {
    const r = run(["list"], seedFragments);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        { name: "prestart", index: 0, path: "/path/to/script" },
        { name: "poststart", index: 0, path: "/usr/bin/notify-start", timeout: 5 },
        { name: "poststop", index: 0, path: "/usr/sbin/cleanup.sh", args: ["cleanup.sh", "-f"] },
      ]
        .map((h) => `${JSON.stringify(h)}\n`)
        .join(""),
    );
  });

  test("one list by name, from --bundle", () => {
    const dir = bundle("list-one", { poststop: [{ path: "/a" }, { path: "/b", env: ["X=1"] }], prestart: [{ path: "/c" }] });
    const r = run(["list", "poststop", "--bundle", dir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('{"name":"poststop","index":0,"path":"/a"}\n{"name":"poststop","index":1,"path":"/b","env":["X=1"]}\n');
  });

  test("no hooks: no output", () => {
    const r = run(["list", "-c", join(bundle("list-none", {}), "config.json")]);
    expect(r).toEqual({ code: 0, stdout: "", stderr: "" });
  });

  test("an unknown list name is a usage error (exit 2)", () => {
    const r = run(["list", "prestop"], seedFragments);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('oci-hook: unknown hook list "prestop"');
    expect(r.stdout).toBe("");
  });

  test("a config that fails validation (relative hook path): exit 1", () => {
    const r = run(["list", "--bundle", bundle("list-bad", { prestart: [{ path: "relative/hook" }] })]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("hook path must be absolute");
    expect(r.stdout).toBe("");
  });
});

describe("oci-hook run", () => {
  test("runs the list in the bundle dir with args and the state (status set for the list) on stdin", () => {
    const out = join(tmp.dir, "run1");
    const dir = bundle("run-ok", { prestart: [{ path: recorder, args: ["rec", out, "a b"] }] });
    const r = run(["run", "prestart", "--bundle", dir, "--state", stateFile]);
    expect(r).toEqual({ code: 0, stdout: "", stderr: "" });
    expect(readFileSync(`${out}.args`, "utf8")).toBe(`${out}\na b\n`);
    expect(readFileSync(`${out}.cwd`, "utf8")).toBe(`${dir}\n`);
    expect(JSON.parse(readFileSync(`${out}.stdin`, "utf8"))).toEqual({ ...state, status: "creating" });
  });

  test("the state from stdin with --config", () => {
    const out = join(tmp.dir, "run2");
    const dir = bundle("run-stdin", { poststart: [{ path: recorder, args: ["rec", out] }] });
    const r = run(["run", "poststart", "-c", join(dir, "config.json"), "-s", "-"], JSON.stringify(state));
    expect(r.code).toBe(0);
    expect(JSON.parse(readFileSync(`${out}.stdin`, "utf8")).status).toBe("running");
  });

  test("a failing hook: exit 1, one line with the list, index, path, status and the hook's output; later hooks do not run", () => {
    const fail = tmp.script("fail.sh", "echo out; echo 'it broke' >&2; exit 4");
    const later = join(tmp.dir, "later");
    const dir = bundle("run-fail", { createRuntime: [{ path: "/bin/true" }, { path: fail }, { path: recorder, args: ["rec", later] }] });
    const r = run(["run", "createRuntime", "-b", dir, "-s", stateFile]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(`oci-hook: error running createRuntime hook #1 (${fail}): exit status 4, stdout: "out\\n", stderr: "it broke\\n"\n`);
    expect(() => readFileSync(`${later}.args`)).toThrow();
  });

  test("poststop: failures are warnings, the rest still runs, exit 0", () => {
    const later = join(tmp.dir, "poststop-later");
    const dir = bundle("run-poststop", { poststop: [{ path: "/nonexistent/cleanup" }, { path: recorder, args: ["rec", later] }] });
    const r = run(["run", "poststop", "-b", dir, "-s", stateFile]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("oci-hook: warning: error running poststop hook #0 (/nonexistent/cleanup): exec /nonexistent/cleanup: no such file or directory\n");
    expect(JSON.parse(readFileSync(`${later}.stdin`, "utf8")).status).toBe("stopped");
  });

  test("a missing hook in a failing list: exit 1, 'no such file or directory'", () => {
    const r = run(["run", "prestart", "-b", bundle("run-missing", { prestart: [{ path: "/nonexistent/hook" }] }), "-s", stateFile]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("no such file or directory");
  });

  test("a timeout: killed after ~1 s, exit 1 with 'timeout'", () => {
    const dir = bundle("run-timeout", { poststart: [{ path: tmp.script("slow.sh", "exec sleep 30"), timeout: 1 }] });
    const t0 = performance.now();
    const r = run(["run", "poststart", "-b", dir, "-s", stateFile]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("hook ran past specified timeout of 1.0s");
    expect(performance.now() - t0).toBeLessThan(2500);
  });

  test.each([
    [["run", "prestart", "-b", "."], "give the container state with --state"],
    [["run", "prestart", "-s", "-"], "cannot both come from stdin"],
    [["run", "-s", "x"], ""],
    [["run", "nothook", "-s", "x"], 'unknown hook list "nothook"'],
    [["run", "prestart", "-b", ".", "-c", "x", "-s", "x"], "not both"],
  ])("usage error %j: exit 2", (args, message) => {
    const r = run(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });

  test.each([
    ["not JSON", "{", /state on stdin|stdin/],
    ["not a state", '{"id": 1}', /"ociVersion" must be a string/],
  ])("bad state (%s): exit 1, one line", (_what, input, message) => {
    const dir = bundle(`run-badstate-${input.length}`, { prestart: [{ path: "/bin/true" }] });
    const r = run(["run", "prestart", "-b", dir, "-s", "-"], input);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe("");
  });

  test("a state file that does not exist: exit 1", () => {
    const r = run(["run", "prestart", "-b", bundle("run-nostate", {}), "-s", join(tmp.dir, "nope.json")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("nope.json");
  });
});
