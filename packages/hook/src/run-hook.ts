/**
 * Runs one hook the way runc 1.1 does (libcontainer/configs Command.Run):
 * execve(path, args, env) with the state JSON on stdin, stdout and stderr
 * captured, SIGKILL after `timeout` seconds.
 *
 * Where we differ from runc, on purpose:
 * - runc waits for the hook's stdout/stderr pipes to close, so a grandchild
 *   that inherited them (`sleep` under a shell script) keeps `runc create`
 *   waiting long after the hook itself was killed (measured: a 1 s timeout took
 *   30 s). We run the hook in its own session and, on timeout, SIGKILL the whole
 *   process group; and once the hook has exited we read its pipes for at most
 *   OUTPUT_GRACE_MS more.
 */
import { isAbsolute } from "node:path";
import { type CapturedOutput, HookError, type HookFailure, type HookWhere } from "./errors.ts";
import { collect } from "./output.ts";
import { stateJson } from "./state.ts";
import type { Hook, HookName, State } from "./types.ts";

/** How long to keep reading output after the hook exited (pipes a grandchild still holds). */
export const OUTPUT_GRACE_MS = 100;

export interface RunHookOptions {
  /** Working directory of the hook (runc: its own cwd, which is the bundle during create). Default: ours. */
  readonly cwd?: string;
  /**
   * The environment of a hook whose `env` is absent. runc 1.1 passes its own
   * environment then (Go's exec.Cmd with a nil Env); `env: []` gives an empty
   * one. Default: process.env, like runc.
   */
  readonly defaultEnv?: Readonly<Record<string, string | undefined>>;
  /** For error messages: which list and index this hook is. */
  readonly name?: HookName;
  readonly index?: number;
}

export interface HookResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly durationMs: number;
}

/** KEY=VALUE lines to an env object; a repeated key keeps its last value (as Go's exec does). */
export function envObject(lines: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of lines) {
    const eq = line.indexOf("=");
    if (eq <= 0) throw new TypeError(`hook env entry ${JSON.stringify(line)} is not KEY=VALUE`);
    env[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return env;
}

function definedEnv(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}

const ERRNO_TEXT: Readonly<Record<string, string>> = {
  ENOENT: "no such file or directory",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  ENOEXEC: "exec format error",
  ENOTDIR: "not a directory",
  ELOOP: "too many levels of symbolic links",
  ETXTBSY: "text file busy",
  E2BIG: "argument list too long",
  ENAMETOOLONG: "file name too long",
  ENOMEM: "cannot allocate memory",
};

function spawnFailure(e: unknown): HookFailure {
  const code = typeof (e as { code?: unknown })?.code === "string" ? (e as { code: string }).code : "EUNKNOWN";
  const reason = ERRNO_TEXT[code] ?? (e instanceof Error ? e.message : String(e));
  return { kind: "spawn", code, reason };
}

function killGroup(pid: number): void {
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, "SIGKILL");
    } catch {
      // ESRCH: already gone
    }
  }
}

/**
 * Runs `hook` with `state` on stdin. Resolves with its output when it exits 0;
 * rejects with a HookError (spawn failure, exit status, signal, timeout) that
 * carries the list name and index given in `options`, the path and the output.
 */
export async function runHook(hook: Hook, state: State, options: RunHookOptions = {}): Promise<HookResult> {
  const where: HookWhere = { name: options.name, index: options.index, path: hook.path };
  if (!isAbsolute(hook.path)) throw new TypeError(`hook path must be absolute, got ${JSON.stringify(hook.path)}`);
  const timeout = hook.timeout;
  if (timeout !== undefined && !(typeof timeout === "number" && timeout > 0 && Number.isFinite(timeout))) {
    throw new TypeError(`hook timeout must be a positive number of seconds, got ${JSON.stringify(timeout)}`);
  }
  const env = hook.env ? envObject(hook.env) : definedEnv(options.defaultEnv ?? process.env);
  // execve semantics: args[0] is argv[0]; no args means argv[0] = path (Go's exec.Cmd does the same).
  const args = hook.args && hook.args.length > 0 ? hook.args : [hook.path];
  const input = new TextEncoder().encode(stateJson(state));

  const started = performance.now();
  let child: Bun.Subprocess<Uint8Array, "pipe", "pipe">;
  try {
    child = Bun.spawn({
      cmd: [hook.path, ...args.slice(1)],
      argv0: args[0],
      env,
      cwd: options.cwd,
      // Bun writes it and ignores EPIPE: a hook that never reads stdin is fine (as with Go's exec).
      stdin: input,
      stdout: "pipe",
      stderr: "pipe",
      // Own session and process group, so a timeout can kill whatever the hook started.
      detached: true,
    });
  } catch (e) {
    throw new HookError(where, spawnFailure(e), { stdout: "", stderr: "" });
  }

  const out = collect(child.stdout);
  const err = collect(child.stderr);
  let timedOut = false;
  const timer = timeout === undefined ? undefined : setTimeout(() => {
    timedOut = true;
    killGroup(child.pid);
  }, timeout * 1000);
  const status = await child.exited;
  if (timer) clearTimeout(timer);
  await Promise.race([Promise.all([out.done, err.done]), Bun.sleep(OUTPUT_GRACE_MS)]);
  out.stop();
  err.stop();
  const output: CapturedOutput = { stdout: out.text(), stderr: err.text() };
  const durationMs = performance.now() - started;

  if (timedOut) throw new HookError(where, { kind: "timeout", seconds: timeout! }, output);
  if (child.signalCode) throw new HookError(where, { kind: "signal", signal: String(child.signalCode) }, output);
  if (status !== 0) throw new HookError(where, { kind: "exit", status }, output);
  return { ...output, durationMs };
}
