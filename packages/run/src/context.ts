import type { ParsedArgs, CommandIO } from "@oci-tools/cli";
import { ToolError, UsageError } from "@oci-tools/cli";
import { StateStore, defaultRoot } from "./state.ts";

export interface Globals {
  readonly store: StateStore;
  readonly log?: string | undefined;
  readonly logFormat: "text" | "json";
  readonly debug: boolean;
  readonly systemdCgroup: boolean;
}

export function globals(a: ParsedArgs): Globals {
  return {
    store: new StateStore(a.string("root") ?? defaultRoot()),
    log: a.string("log"),
    logFormat: a.string("log-format") === "json" ? "json" : "text",
    debug: a.bool("debug"),
    systemdCgroup: a.bool("systemd-cgroup"),
  };
}

/**
 * Runs a command body and reports its failure the way runc's clients expect:
 * "oci-run: <msg>" on stderr; with --log, also a log line in the file; with
 * --log-format json and no --log, the JSON line replaces the plain one.
 */
export async function guarded(a: ParsedArgs, io: CommandIO, body: (g: Globals) => number | Promise<number>): Promise<number> {
  const g = globals(a);
  try {
    return await body(g);
  } catch (e) {
    const msg = (e instanceof Error ? e.message : String(e)).replace(/:\s*\n\s*/g, ": ").replace(/\s*\n\s*/g, "; ");
    if (g.log !== undefined || g.logFormat === "json") {
      const { openLogger } = await import("./log.ts");
      const logger = await openLogger({ file: g.log, format: g.logFormat, debug: g.debug });
      logger?.log("error", msg);
      logger?.flush();
    }
    if (g.log !== undefined || g.logFormat === "text") {
      io.stderr(g.debug && e instanceof Error && e.stack ? `oci-run: ${e.stack}\n` : `oci-run: ${msg}\n`);
    }
    return e instanceof UsageError ? 2 : e instanceof ToolError ? e.exitCode : 1;
  }
}
