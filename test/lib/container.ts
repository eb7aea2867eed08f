/**
 * Running oci-run (and runc) from tests, with guaranteed cleanup: every test
 * gets its own --root under a scratch dir, and `cleanup()` force-deletes
 * whatever is left there, removes netns it made, and the scratch dir.
 */
import { spawn, spawnSync } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { ID_PREFIX, makeBundle, scratchDir, type BundleOptions } from "./bundle.ts";
import { toolCommand } from "./tools.ts";
import { findLeaks, formatLeaks, newLeaks, type Leak } from "../leak-check.ts";

export interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

let counter = 0;

export class TestEnv {
  /** What already existed (other sessions' leftovers are not this file's leaks). */
  private readonly leaksBefore: Leak[] = findLeaks();
  readonly dir = scratchDir();
  readonly root = join(this.dir, "root");
  readonly runcRoot = join(this.dir, "runc-root");
  private readonly netns: string[] = [];

  /** What this process's tests create carries one of these (for newLeaks). */
  get markers(): string[] {
    return [this.dir, `${ID_PREFIX}-${process.pid}-`];
  }

  /** A unique container id: octest-<pid>-<n>-<tag>. */
  id(tag = "c"): string {
    counter += 1;
    return `${ID_PREFIX}-${process.pid}-${counter}-${tag}`;
  }

  bundle(name: string, o?: BundleOptions): Promise<string> {
    return makeBundle(this.dir, name, o);
  }

  /**
   * oci-run --root <env root> ARGS (synchronously; stdin /dev/null). Output
   * goes through files, not pipes: a created container inherits oci-run's
   * stdio and would hold a pipe open long after oci-run exited.
   */
  ociRun(...args: string[]): Result {
    const [cmd, ...pre] = toolCommand("oci-run");
    return this.capture([cmd!, ...pre, "--root", this.root, ...args]);
  }

  /** oci-run with extra environment variables (fault injection: OCI_RUN_CRASH_AT). */
  ociRunWithEnv(extra: Record<string, string>, ...args: string[]): Result {
    const [cmd, ...pre] = toolCommand("oci-run");
    return this.capture([cmd!, ...pre, "--root", this.root, ...args], extra);
  }

  /** Starts oci-run in the background; the caller may signal `child` and await `done`. */
  ociRunBackground(...args: string[]): { child: ReturnType<typeof spawn>; done: Promise<number> } {
    const [cmd, ...pre] = toolCommand("oci-run");
    const child = spawn(cmd!, [...pre, "--root", this.root, ...args], { stdio: "ignore" });
    const done = new Promise<number>((resolve) => child.on("exit", (code, sig) => resolve(code ?? 128 + (sig === "SIGKILL" ? 9 : sig === "SIGTERM" ? 15 : 2))));
    return { child, done };
  }

  private capture(argv: string[], extraEnv: Record<string, string> = {}): Result {
    const n = ++counter;
    const outPath = join(this.dir, `.out-${n}`);
    const errPath = join(this.dir, `.err-${n}`);
    const out = openSync(outPath, "w");
    const err = openSync(errPath, "w");
    try {
      const r = spawnSync(argv[0]!, argv.slice(1), { stdio: ["ignore", out, err], timeout: 60_000, env: { ...process.env, ...extraEnv } });
      return { code: r.status ?? 128 + 9, stdout: readFileSync(outPath, "utf8"), stderr: readFileSync(errPath, "utf8") };
    } finally {
      closeSync(out);
      closeSync(err);
      rmSync(outPath, { force: true });
      rmSync(errPath, { force: true });
    }
  }

  /** The same asynchronously (for parallel tests); output through files as above. */
  async ociRunAsync(...args: string[]): Promise<Result> {
    const [cmd, ...pre] = toolCommand("oci-run");
    const n = ++counter;
    const outPath = join(this.dir, `.out-${n}`);
    const errPath = join(this.dir, `.err-${n}`);
    const out = openSync(outPath, "w");
    const err = openSync(errPath, "w");
    try {
      const c = spawn(cmd!, [...pre, "--root", this.root, ...args], { stdio: ["ignore", out, err] });
      const code = await new Promise<number>((resolve) => c.on("exit", (code, sig) => resolve(code ?? 128 + (sig === "SIGKILL" ? 9 : 15))));
      return { code, stdout: readFileSync(outPath, "utf8"), stderr: readFileSync(errPath, "utf8") };
    } finally {
      closeSync(out);
      closeSync(err);
      rmSync(outPath, { force: true });
      rmSync(errPath, { force: true });
    }
  }

  runc(...args: string[]): Result {
    return this.capture(["runc", "--root", this.runcRoot, ...args]);
  }

  /** `ip netns add`; removed by cleanup(). Returns /var/run/netns/<name>. */
  addNetns(tag = "ns"): string {
    const name = `${ID_PREFIX}-${process.pid}-${++counter}-${tag}`;
    const r = spawnSync("ip", ["netns", "add", name], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`ip netns add ${name}: ${r.stderr}`);
    this.netns.push(name);
    return `/var/run/netns/${name}`;
  }

  /** cleanup(), then fail if anything this env made (mounts, cgroups, processes, netns, state) is left. */
  finish(): void {
    this.cleanup();
    const leaks = newLeaks(this.leaksBefore, this.markers);
    if (leaks.length) throw new Error(`leaked:\n${formatLeaks(leaks)}`);
  }

  cleanup(): void {
    for (const root of [this.root, this.runcRoot]) {
      if (!existsSync(root)) continue;
      for (const id of readdirSync(root)) {
        if (root === this.root) this.ociRun("delete", "--force", id);
        else this.runc("delete", "--force", id);
      }
    }
    for (const n of this.netns) spawnSync("ip", ["netns", "delete", n]);
    // Never rm -rf through a leaked mount (it could be a bind of a host dir).
    const mounted = mountsUnder(this.dir);
    if (mounted.length > 0) throw new Error(`leaked mounts under ${this.dir}, not removing it: ${mounted.join(", ")}`);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Runs `fn` with a fresh TestEnv and always cleans up. */
export async function withEnv<T>(fn: (env: TestEnv) => Promise<T> | T): Promise<T> {
  const env = new TestEnv();
  try {
    return await fn(env);
  } finally {
    env.cleanup();
  }
}

/** Mount points (host mount namespace) at or below `dir`. */
export function mountsUnder(dir: string): string[] {
  return readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((l) => l.split(" ")[4] ?? "")
    .map((m) => m.replace(/\\([0-7]{3})/g, (_x, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter((m) => m === dir || m.startsWith(`${dir}/`));
}
