/**
 * A hook that failed, as a value: which hook (list, index, path), how it
 * failed, and what it printed — runc includes the output too
 * ("error running hook: exit status 1, stdout: …, stderr: …").
 */
import type { HookName } from "./types.ts";

export type HookFailure =
  /** execve never happened (ENOENT, EACCES, ENOEXEC, …). */
  | { readonly kind: "spawn"; readonly code: string; readonly reason: string }
  | { readonly kind: "exit"; readonly status: number }
  | { readonly kind: "signal"; readonly signal: string }
  /** Killed (SIGKILL) after `timeout` seconds. */
  | { readonly kind: "timeout"; readonly seconds: number };

export interface HookWhere {
  readonly name?: HookName;
  readonly index?: number;
  readonly path: string;
}

/** Output kept per stream in an error; the rest is counted, not kept. */
export const OUTPUT_LIMIT = 64 * 1024;

export interface CapturedOutput {
  readonly stdout: string;
  readonly stderr: string;
}

function describeFailure(f: HookFailure, path: string): string {
  switch (f.kind) {
    case "spawn":
      return `exec ${path}: ${f.reason}`;
    case "exit":
      return `exit status ${f.status}`;
    case "signal":
      return `killed by signal ${f.signal}`;
    case "timeout":
      // runc's wording, so log scrapers that know runc recognise it.
      return `hook ran past specified timeout of ${f.seconds.toFixed(1)}s`;
  }
}

export function hookLabel(where: HookWhere): string {
  const list = where.name ?? "";
  const index = where.index === undefined ? "" : `#${where.index}`;
  const head = [list, "hook", index].filter(Boolean).join(" ");
  return `${head} (${where.path})`;
}

export class HookError extends Error {
  override readonly name = "HookError";
  constructor(
    readonly where: HookWhere,
    readonly failure: HookFailure,
    readonly output: CapturedOutput,
  ) {
    // JSON-quoted output keeps the message on one line (one log line, one stderr line).
    const parts = [`error running ${hookLabel(where)}: ${describeFailure(failure, where.path)}`];
    if (failure.kind !== "spawn") {
      if (failure.kind !== "timeout" || output.stdout || output.stderr) {
        parts.push(`stdout: ${JSON.stringify(output.stdout)}`, `stderr: ${JSON.stringify(output.stderr)}`);
      }
    }
    super(parts.join(", "));
  }
}
