import { ToolError, UsageError } from "./errors.ts";
import { parseArgv } from "./parse.ts";
import { fastStdio } from "./stdio.ts";
import type { CommandIO, ToolDef } from "./types.ts";

/** One line for the user; the stack only with --debug or OCI_TOOLS_DEBUG=1. */
export function describeError(tool: ToolDef, error: unknown, debug: boolean): string {
  if (debug && error instanceof Error && error.stack) return `${tool.name}: ${error.stack}\n`;
  const message = error instanceof Error ? error.message : String(error);
  return `${tool.name}: ${message.replace(/\s*\n\s*/g, "; ")}\n`;
}

/**
 * Runs one invocation of a tool and returns its exit status:
 * 0 ok, 1 failure, 2 usage error (or what the command returns).
 */
export async function runToolStatus(tool: ToolDef, argv: readonly string[], io: CommandIO = fastStdio): Promise<number> {
  const debug = argv.includes("--debug") || process.env.OCI_TOOLS_DEBUG === "1";
  try {
    const outcome = parseArgv(tool, argv);
    switch (outcome.kind) {
      case "version":
        io.stdout(tool.versionText ? `${tool.versionText()}\n` : `${tool.name} version ${tool.version}\n`);
        return 0;
      case "help": {
        const { showHelp } = await import("./yargs.ts");
        await showHelp(tool, outcome.command?.name);
        return 0;
      }
      case "completion": {
        const { complete } = await import("./yargs.ts");
        await complete(tool, argv);
        return 0;
      }
      case "run":
        return await outcome.args.command.run(outcome.args, io);
    }
  } catch (error) {
    io.stderr(describeError(tool, error, debug));
    if (error instanceof UsageError) io.stderr(`Try '${tool.name} --help'.\n`);
    return error instanceof ToolError ? error.exitCode : 1;
  }
}

/**
 * The whole of a binary's main: run and exit with the status. Output went
 * out by write(2) already (stdio.ts), so there is nothing to flush; this never
 * touches process.stdout, whose stream set-up costs milliseconds per start.
 */
export async function runTool(tool: ToolDef, argv: readonly string[]): Promise<never> {
  process.exit(await runToolStatus(tool, argv));
}
