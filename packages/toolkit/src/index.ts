/**
 * What the oci-ns, oci-mount and oci-caps commands share in shape: reading
 * the spec from --bundle/--config/stdin and running a partial Plan through
 * native oci-init in the foreground. The planners themselves stay
 * independent of each other; only their command-line fronts use this.
 */
import { dirname, resolve } from "node:path";
import { ToolError, UsageError, type FlagDef, type ParsedArgs } from "@oci-tools/cli";
import type { ComposeFragment, Plan } from "@oci-tools/plan";
import type { InputSource, LoadedSpec } from "@oci-tools/spec";

export const SPEC_FLAGS: FlagDef[] = [
  { name: "bundle", alias: ["b"], type: "string", describe: "read DIR/config.json; relative paths in it are relative to DIR" },
  { name: "config", alias: ["c"], type: "string", describe: "read this config file (default: stdin); its directory is the bundle" },
];

export interface LoadedInput {
  readonly spec: LoadedSpec;
  /** Absolute bundle directory. */
  readonly bundleDir: string;
}

/** Loads (upgrades, validates) the spec; @oci-tools/spec is imported here so --help does not pay for it. */
export async function readSpec(a: ParsedArgs): Promise<LoadedInput> {
  const bundle = a.string("bundle");
  const config = a.string("config");
  if (bundle !== undefined && config !== undefined) throw new UsageError("give --bundle or --config, not both");
  let source: InputSource;
  let bundleDir: string;
  if (bundle !== undefined) {
    source = { kind: "bundle", dir: bundle };
    bundleDir = resolve(bundle);
  } else if (config !== undefined) {
    source = { kind: "file", path: config };
    bundleDir = dirname(resolve(config));
  } else {
    source = { kind: "stdin" };
    bundleDir = process.cwd();
  }
  const { loadSpecFrom } = await import("@oci-tools/spec");
  try {
    return { spec: loadSpecFrom(source), bundleDir };
  } catch (e) {
    throw new ToolError(e instanceof Error ? e.message : String(e));
  }
}

/** PlanError and friends → one-line ToolError. */
export function asToolError<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof Error && e.name === "PlanError") throw new ToolError(e.message);
    throw e;
  }
}

/** The command after `--` or the first positional (`exec -b DIR -- sh -c …`). */
export function commandWords(a: ParsedArgs): string[] {
  const words = [...a.positionals("command"), ...a.rest];
  if (words.length === 0) throw new UsageError("give the command to run after --");
  return words;
}

/** Caller's environment as KEY=VALUE lines (exec keeps it, like unshare and setpriv). */
export function callerEnv(): string[] {
  return Object.entries(process.env).flatMap(([k, v]) => (v === undefined ? [] : [`${k}=${v}`]));
}

/** Runs a stage0 "wait" plan through oci-init with our stdio; resolves to the command's exit status. */
export async function runForeground(plan: Plan): Promise<number> {
  const { runInit } = await import("@oci-tools/sys");
  const run = await runInit(plan);
  const code = await run.exited;
  await Promise.race([run.closed, Bun.sleep(1000)]);
  const error = run.error ?? run.messages.find((m) => m.type === "error");
  if (error && error.type === "error") {
    const where = error.op >= 0 ? `op ${error.op} (${error.opName})` : error.opName;
    throw new ToolError(`${where}: ${error.errno}: ${error.message}`);
  }
  return code;
}

/**
 * The whole of an `exec -- CMD` command of oci-ns/oci-mount/oci-caps: read the
 * spec, compose only this tool's fragments into a stage-0 "wait" plan whose
 * process is CMD with the caller's environment, and run it in the foreground.
 */
export async function runPiece(a: ParsedArgs, tool: string, fragments: (input: LoadedInput) => readonly ComposeFragment[]): Promise<number> {
  const args = commandWords(a);
  const input = await readSpec(a);
  const { composePlan } = await import("@oci-tools/plan");
  const plan = asToolError(() =>
    composePlan({ containerId: tool, stage0: "wait", fragments: fragments(input), process: { args, env: callerEnv(), preserveFds: 0 } }),
  );
  return runForeground(plan);
}

/** JSON with bigints as decimal strings. */
export function toJson(value: unknown): string {
  return `${JSON.stringify(value, (_, v) => (typeof v === "bigint" ? v.toString() : v), 2)}\n`;
}
