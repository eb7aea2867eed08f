/**
 * oci-init under AddressSanitizer + UBSan running real plans, and the plan
 * decoder's libFuzzer target for a bounded time. Skipped (with a message)
 * where the compilers or sanitizer runtimes are missing.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { closeSync } from "node:fs";
import { join } from "node:path";
import { makeRootfs, type TestRootfs } from "../lib/rootfs.ts";
import { MS, runPlan, sh } from "../lib/oci-init.ts";
import { repoRoot } from "../lib/tools.ts";

const nativeDir = join(repoRoot, "native");

function make(target: string, extra: string[] = [], timeoutMs = 120_000): { ok: boolean; out: string } {
  const r = Bun.spawnSync(["make", "-s", "-C", nativeDir, target, ...extra], { stdout: "pipe", stderr: "pipe", timeout: timeoutMs });
  return { ok: r.exitCode === 0, out: r.stdout.toString() + r.stderr.toString() };
}

function have(cmd: string): boolean {
  return Bun.spawnSync(["sh", "-c", `command -v ${cmd}`]).exitCode === 0;
}

describe("AddressSanitizer build of oci-init", () => {
  let fs: TestRootfs;
  let built: { ok: boolean; out: string };
  beforeAll(() => {
    fs = makeRootfs();
    built = make("asan");
    if (!built.ok) console.warn(`skipping ASan runs: make -C native asan failed:\n${built.out}`);
  });
  afterAll(() => fs.cleanup());
  const initPath = join(nativeDir, "build", "oci-init-asan");
  const asanEnv = { ...process.env, ASAN_OPTIONS: "abort_on_error=1:detect_leaks=0", UBSAN_OPTIONS: "halt_on_error=1:print_stacktrace=1" };

  test("runs a plan with mounts, devices, masks, limits and identity cleanly", async () => {
    if (!built.ok) return;
    const caps = (1n << 5n) | (1n << 10n);
    const r = await runPlan(
      sh(fs.rootfs, "hostname; id -u; ulimit -n; ls /data/sub; cat /etc/group", {
        preOps: [
          { op: "mount", source: "tmpfs", target: "/data", fstype: "tmpfs", flags: MS.NOSUID, data: "size=1m", create: "dir" },
          { op: "mkdir", path: "/data/sub/x", mode: 0o755 },
          { op: "symlink", target: "/proc/self/fd", linkpath: "/dev/fd" },
        ],
        ops: [
          { op: "sethostname", name: "asan-box" },
          { op: "mask-path", path: "/etc/group" },
          { op: "readonly-path", path: "/proc/sys" },
          { op: "rlimit", resource: 7, name: "RLIMIT_NOFILE", soft: 512n, hard: 512n },
          { op: "identity", uid: 1000, gid: 1000, additionalGids: [], caps: { bounding: caps, effective: caps, permitted: caps, inheritable: 0n, ambient: 0n } },
          { op: "chdir", path: "/" },
        ],
      }),
      { initPath, env: asanEnv },
    );
    expect(r.stderr).not.toMatch(/AddressSanitizer|runtime error/);
    expect(r.error).toBeUndefined();
    expect(r.stdout).toBe("asan-box\n1000\n512\nx\n");
    expect(r.code).toBe(0);
  });

  test("failure paths (bad op, missing executable, fallback resolver) are clean too", async () => {
    if (!built.ok) return;
    const r1 = await runPlan(sh(fs.rootfs, "true", { preOps: [{ op: "mount", source: "x", target: "/x", fstype: "nosuchfs", flags: 0, data: "", create: "dir" }] }), { initPath, env: asanEnv });
    expect(r1.stderr).not.toMatch(/AddressSanitizer|runtime error/);
    expect(r1.error?.errno).toBe("ENODEV");
    const plan = sh(fs.rootfs, "true");
    const r2 = await runPlan({ ...plan, process: { ...plan.process, args: ["missing-binary"] } }, { initPath, env: { ...asanEnv, OCI_INIT_NO_OPENAT2: "1" } });
    expect(r2.stderr).not.toMatch(/AddressSanitizer|runtime error/);
    expect(r2.error?.message).toContain("executable file not found in $PATH");
  });

  test("sync (continue and abort), hooks (success, failure with output, start hooks) and the console op are clean", async () => {
    if (!built.ok) return;
    const hook = (name: "createContainer" | "startContainer", script: string) =>
      ({ op: "hook", name, index: 0, path: "/bin/sh", args: ["sh", "-c", script], env: [], timeout: 5 }) as const;
    const devpts = { op: "mount", source: "devpts", target: "/dev/pts", fstype: "devpts", flags: 0, data: "newinstance,ptmxmode=0666", create: "dir" } as const;
    const base = sh(fs.rootfs, "echo done", {
      preOps: [devpts, { op: "sync", point: "createRuntime" }, hook("createContainer", "cat >/dev/null; echo out; echo err >&2")],
      ops: [{ op: "console", rows: 10, cols: 20, mountConsole: true }],
    });
    let consoleName = "";
    let masterFd = -1;
    const r1 = await runPlan(
      { ...base, process: { ...base.process, startHooks: [hook("startContainer", "cat")] } },
      { initPath, env: asanEnv, onSync: () => ({ states: { createContainer: '{"a":"\\u00e9"}', startContainer: "{}" } }), onConsole: (fd, name) => {
        consoleName = name;
        masterFd = fd; // held until the container is done (a hung-up pty fails TIOCSCTTY at exec)
      } },
    );
    if (masterFd >= 0) closeSync(masterFd);
    expect(r1.stderr).not.toMatch(/AddressSanitizer|runtime error/);
    expect(r1.error).toBeUndefined();
    expect(consoleName).toBe("/dev/pts/0");
    const r2 = await runPlan(sh(fs.rootfs, "true", { preOps: [hook("createContainer", "head -c 100000 /dev/zero; exit 4")] }), { initPath, env: asanEnv });
    expect(r2.stderr).not.toMatch(/AddressSanitizer|runtime error/);
    // Binary output escapes to 6 bytes a byte: what does not fit is counted, the message stays whole.
    expect(r2.error?.message.slice(-40)).toMatch(/\[… \d+ more bytes\]", stderr: ""$/);
    const r3 = await runPlan(sh(fs.rootfs, "true", { preOps: [{ op: "sync", point: "createRuntime" }] }), { initPath, env: asanEnv, onSync: () => ({ abort: "no" }) });
    expect(r3.stderr).not.toMatch(/AddressSanitizer|runtime error/);
    expect(r3.error).toMatchObject({ opName: "sync", message: "no" });
  });
});

describe("libFuzzer targets (plan decoder, sync reply parser, passwd scanner)", () => {
  test("runs for a bounded time without a finding", () => {
    if (!have("clang")) return console.warn("skipping the fuzzer: clang is not installed");
    const built = make("fuzz");
    if (!built.ok) return console.warn(`skipping the fuzzer: make -C native fuzz failed:\n${built.out}`);
    const seconds = Number(process.env.FUZZ_SECONDS ?? "10");
    const r = make("fuzz-run", [`FUZZ_SECONDS=${seconds}`], (3 * seconds + 60) * 1000);
    expect(r.out.match(/Done \d+ runs/g)?.length).toBe(3);
    expect(r.ok).toBe(true);
  }, 300_000);
});
