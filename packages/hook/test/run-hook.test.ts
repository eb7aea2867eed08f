/**
 * runHook/runHooks against real processes: small shell scripts in a scratch
 * dir, busybox (whose applet is chosen by argv[0]) and /usr/bin/env.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { HookError, runHook, runHooks, stateJson, type State } from "../src/index.ts";
import { processGone, scratch } from "./helpers.ts";

const tmp = scratch();
afterAll(() => tmp.cleanup());

const busybox = Bun.which("busybox");
const state: State = { ociVersion: "1.2.0", id: "hook-test", status: "creating", pid: 4242, bundle: "/var/lib/b", annotations: { "org.example/k": "v" } };

async function failure(p: Promise<unknown>): Promise<HookError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof HookError) return e;
    throw e;
  }
  throw new Error("the hook did not fail");
}

// Records its arguments, working directory, environment and stdin next to the file named by $1.
const recorder = tmp.script(
  "record.sh",
  `out="$1"
printf '%s\\n' "$@" > "$out.args"
pwd > "$out.cwd"
env > "$out.env"
cat > "$out.stdin"`,
);

describe("runHook: argv, env, stdin, cwd", () => {
  test("args after argv[0] reach the hook as given; state on stdin; cwd as asked; env exactly hook.env", async () => {
    const out = join(tmp.dir, "rec1");
    const result = await runHook({ path: recorder, args: ["record", out, "two words", "", "x"], env: ["FOO=bar", "EQ=a=b"] }, state, { cwd: tmp.dir });
    expect(result.stdout).toBe("");
    expect(readFileSync(`${out}.args`, "utf8")).toBe(`${out}\ntwo words\n\nx\n`);
    expect(readFileSync(`${out}.stdin`, "utf8")).toBe(stateJson(state));
    expect(readFileSync(`${out}.cwd`, "utf8")).toBe(`${tmp.dir}\n`);
    // The shell itself adds PWD, SHLVL and _; nothing else may appear (no PATH from us).
    const env = readFileSync(`${out}.env`, "utf8").trim().split("\n").filter((l) => !/^(PWD|SHLVL|_|OLDPWD)=/.test(l));
    expect(env.sort()).toEqual(["EQ=a=b", "FOO=bar"]);
  });

  test.skipIf(!busybox)("args[0] is argv[0], like execve (busybox picks its applet by it)", async () => {
    const r = await runHook({ path: busybox!, args: ["cat", "/proc/self/cmdline"] }, state);
    expect(r.stdout).toBe("cat\0/proc/self/cmdline\0");
  });

  test.skipIf(!busybox)("without args argv[0] is the path (a link named cat runs busybox's cat on the state)", async () => {
    const link = join(tmp.dir, "cat");
    symlinkSync(busybox!, link);
    const r = await runHook({ path: link }, state);
    expect(r.stdout).toBe(stateJson(state));
    const empty = await runHook({ path: link, args: [] }, state);
    expect(empty.stdout).toBe(stateJson(state));
  });

  test("env is exactly hook.env: a repeated key keeps its last value", async () => {
    const r = await runHook({ path: "/usr/bin/env", env: ["A=1", "B=x=y", "A=2"] }, state);
    expect(r.stdout.trim().split("\n").sort()).toEqual(["A=2", "B=x=y"]);
  });

  test("env [] is an empty environment", async () => {
    expect((await runHook({ path: "/usr/bin/env", env: [] }, state)).stdout).toBe("");
  });

  test("without env the hook gets the runtime's environment (runc 1.1), or defaultEnv", async () => {
    const inherited = await runHook({ path: "/usr/bin/env" }, state);
    expect(inherited.stdout.split("\n")).toContain(`PATH=${process.env.PATH}`);
    const given = await runHook({ path: "/usr/bin/env" }, state, { defaultEnv: { ONLY: "1", GONE: undefined } });
    expect(given.stdout).toBe("ONLY=1\n");
  });

  test("an env entry that is not KEY=VALUE is refused before anything runs", async () => {
    await expect(runHook({ path: "/usr/bin/env", env: ["NOEQUALS"] }, state)).rejects.toThrow(/not KEY=VALUE/);
  });

  test("a relative path or a bad timeout is refused", async () => {
    await expect(runHook({ path: "bin/true" }, state)).rejects.toThrow(/must be absolute/);
    await expect(runHook({ path: "/bin/true", timeout: 0 }, state)).rejects.toThrow(/positive number of seconds/);
  });
});

describe("runHook: stdin the hook never reads", () => {
  test("a hook that ignores a large state (8 MiB) still succeeds (no EPIPE)", async () => {
    const big: State = { ...state, annotations: { big: "x".repeat(8 << 20) } };
    const r = await runHook({ path: tmp.script("ignore.sh", "exit 0") }, big);
    expect(r.stdout).toBe("");
  });

  test("a hook that closes stdin and keeps running succeeds", async () => {
    const big: State = { ...state, annotations: { big: "y".repeat(1 << 20) } };
    const r = await runHook({ path: tmp.script("close.sh", "exec 0<&-\nsleep 0.1\necho done") }, big);
    expect(r.stdout).toBe("done\n");
  });
});

describe("runHook: failures", () => {
  test("non-zero exit: the error names list, index, path, status and carries stdout and stderr", async () => {
    const path = tmp.script("fail.sh", "echo 'to stdout'\necho 'boom on stderr' >&2\nexit 3");
    const e = await failure(runHook({ path }, state, { name: "prestart", index: 2 }));
    expect(e.failure).toEqual({ kind: "exit", status: 3 });
    expect(e.where).toEqual({ name: "prestart", index: 2, path });
    expect(e.output).toEqual({ stdout: "to stdout\n", stderr: "boom on stderr\n" });
    expect(e.message).toBe(`error running prestart hook #2 (${path}): exit status 3, stdout: "to stdout\\n", stderr: "boom on stderr\\n"`);
    expect(e.message).not.toContain("\n");
  });

  test("killed by a signal", async () => {
    const e = await failure(runHook({ path: tmp.script("killself.sh", "kill -KILL $$") }, state));
    expect(e.failure).toEqual({ kind: "signal", signal: "SIGKILL" });
    expect(e.message).toContain("killed by signal SIGKILL");
  });

  test("a missing path: 'no such file or directory' (podman maps it to 127)", async () => {
    const e = await failure(runHook({ path: join(tmp.dir, "does-not-exist") }, state, { name: "createRuntime", index: 0 }));
    expect(e.failure).toMatchObject({ kind: "spawn", code: "ENOENT" });
    expect(e.message).toBe(`error running createRuntime hook #0 (${join(tmp.dir, "does-not-exist")}): exec ${join(tmp.dir, "does-not-exist")}: no such file or directory`);
  });

  test("a file that is not executable: 'permission denied'", async () => {
    const path = join(tmp.dir, "noexec.sh");
    writeFileSync(path, "#!/bin/sh\nexit 0\n", { mode: 0o644 });
    const e = await failure(runHook({ path }, state));
    expect(e.failure).toMatchObject({ kind: "spawn", code: "EACCES" });
    expect(e.message).toContain("permission denied");
  });

  test("output beyond the limit is cut and counted", async () => {
    const e = await failure(runHook({ path: tmp.script("chatty.sh", "head -c 100000 /dev/zero | tr '\\0' a\nexit 1") }, state));
    expect(e.output.stdout.startsWith("a".repeat(64 * 1024))).toBe(true);
    expect(e.output.stdout).toEndWith(`[… ${100000 - 64 * 1024} more bytes]`);
  });
});

describe("runHook: timeout", () => {
  test("a hook sleeping past its timeout is SIGKILLed after ~timeout seconds, with whatever it started", async () => {
    const pidFile = join(tmp.dir, "sleeper.pid");
    const path = tmp.script("slow.sh", `echo started\nsleep 30 &\necho $! > ${pidFile}\nwait`);
    const t0 = performance.now();
    const e = await failure(runHook({ path, timeout: 1 }, state, { name: "poststart", index: 0 }));
    const elapsed = performance.now() - t0;
    expect(e.failure).toEqual({ kind: "timeout", seconds: 1 });
    expect(e.message).toContain("timeout");
    expect(e.message).toBe(`error running poststart hook #0 (${path}): hook ran past specified timeout of 1.0s, stdout: "started\\n", stderr: ""`);
    expect(elapsed).toBeGreaterThanOrEqual(950);
    expect(elapsed).toBeLessThan(2000);
    expect(await processGone(Number(readFileSync(pidFile, "utf8")))).toBe(true);
  });

  test("a hook that finishes in time is not affected by its timeout", async () => {
    const r = await runHook({ path: tmp.script("quick.sh", "echo ok"), timeout: 5 }, state);
    expect(r.stdout).toBe("ok\n");
    expect(r.durationMs).toBeLessThan(1000);
  });

  test("a background child holding stdout does not keep us waiting after the hook exits", async () => {
    const pidFile = join(tmp.dir, "daemon.pid");
    const path = tmp.script("daemon.sh", `sleep 20 &\necho $! > ${pidFile}\necho launched`);
    const t0 = performance.now();
    const r = await runHook({ path }, state);
    const elapsed = performance.now() - t0;
    const pid = Number(readFileSync(pidFile, "utf8"));
    process.kill(pid, "SIGKILL"); // ours to clean up: a hook's daemon outlives it, as with runc
    expect(r.stdout).toBe("launched\n");
    expect(elapsed).toBeLessThan(1000);
    expect(await processGone(pid)).toBe(true);
  });
});

describe("runHooks", () => {
  const counter = (label: string) => tmp.script(`count-${label}.sh`, `echo ${label} >> "$1"`);

  test("runs in order and stops at the first failure of a failing list, which rejects", async () => {
    const log = join(tmp.dir, "order.log");
    const fail = tmp.script("fail-order.sh", "echo nope >&2; exit 1");
    const e = await failure(runHooks("prestart", [{ path: counter("one"), args: ["x", log] }, { path: fail }, { path: counter("three"), args: ["x", log] }], state));
    expect(e.where).toEqual({ name: "prestart", index: 1, path: fail });
    expect(e.output.stderr).toBe("nope\n");
    expect(readFileSync(log, "utf8")).toBe("one\n");
  });

  test.each(["createRuntime", "createContainer", "startContainer", "poststart"] as const)("%s stops at its first failure too", async (name) => {
    const log = join(tmp.dir, `stop-${name}.log`);
    await expect(runHooks(name, [{ path: "/bin/false" }, { path: counter("after"), args: ["x", log] }], state)).rejects.toThrow(`error running ${name} hook #0 (/bin/false): exit status 1`);
    expect(() => readFileSync(log)).toThrow();
  });

  test("poststop: a failure is a warning and the remaining hooks still run", async () => {
    const log = join(tmp.dir, "poststop.log");
    const outcome = await runHooks("poststop", [{ path: "/bin/false" }, { path: counter("second"), args: ["x", log] }, { path: join(tmp.dir, "absent") }], state);
    expect(outcome.results).toHaveLength(1);
    expect(outcome.warnings.map((w) => w.message)).toEqual([
      "error running poststop hook #0 (/bin/false): exit status 1, stdout: \"\", stderr: \"\"",
      `error running poststop hook #2 (${join(tmp.dir, "absent")}): exec ${join(tmp.dir, "absent")}: no such file or directory`,
    ]);
    expect(readFileSync(log, "utf8")).toBe("second\n");
  });

  test.each([
    ["prestart", "creating"],
    ["startContainer", "created"],
    ["poststart", "running"],
    ["poststop", "stopped"],
  ] as const)("%s hooks read status %s whatever the caller's state says", async (name, status) => {
    const { results } = await runHooks(name, [{ path: "/bin/cat" }], { ...state, status: "paused" });
    expect(JSON.parse(results[0]!.stdout)).toEqual({ ...state, status });
  });

  test("no hooks, or an absent list: nothing runs", async () => {
    expect(await runHooks("prestart", undefined, state)).toEqual({ results: [], warnings: [] });
    expect(await runHooks("poststop", [], state)).toEqual({ results: [], warnings: [] });
  });
});
