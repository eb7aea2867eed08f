/** Input/output plumbing shared by the oci-spec subcommands. */
import { fstatSync } from "node:fs";
import { type CommandIO, type ParsedArgs, ToolError, UsageError } from "@oci-tools/cli";
import { InputError } from "../errors.ts";
import { stringifyJson } from "../format.ts";
import { type InputSource, MAX_DEPTH, jsonDepth, readJson, sourceName } from "../read.ts";
import { writeFileAtomic } from "../write.ts";

/**
 * Is stdin a terminal? Decided from fstat's device number instead of
 * node:tty's isatty, whose import alone costs ~3.5 ms of startup in the compiled
 * binary. Terminal character devices: major 4 (tty*), 5 (/dev/tty, console,
 * ptmx), 136-143 (pts). /dev/null (major 1) is not a terminal: it reads as
 * empty input.
 */
function stdinIsTerminal(): boolean {
  try {
    const stats = fstatSync(0);
    if (!stats.isCharacterDevice()) return false;
    const major = (stats.rdev >> 8) & 0xfff;
    return major === 4 || major === 5 || (major >= 136 && major <= 143);
  } catch {
    return false;
  }
}

/** FILE positional ("-" = stdin), or --bundle DIR, or stdin; never two of them. */
export function inputSource(args: ParsedArgs, file: string | undefined): InputSource {
  const bundle = args.string("bundle");
  if (bundle !== undefined && file !== undefined) throw new UsageError("give either a FILE or --bundle DIR, not both");
  if (bundle !== undefined) return { kind: "bundle", dir: bundle };
  if (file !== undefined && file !== "-") return { kind: "file", path: file };
  if (stdinIsTerminal()) throw new UsageError("no input: give a FILE, --bundle DIR, or pipe JSON on stdin");
  return { kind: "stdin" };
}

/** Reads and parses a source; read/parse problems become one-line ToolErrors. */
export function readInput(source: InputSource): unknown {
  try {
    return readJson(source);
  } catch (error) {
    if (error instanceof InputError) throw new ToolError(error.message);
    throw error;
  }
}

/** Where --in-place writes: the file or DIR/config.json. stdin cannot be edited in place. */
export function inPlaceTarget(args: ParsedArgs, source: InputSource): string | undefined {
  if (!args.bool("in-place")) return undefined;
  if (source.kind === "stdin") throw new UsageError("--in-place needs a FILE or --bundle DIR, not stdin");
  return sourceName(source);
}

/** Writes the result to stdout, or atomically over the input with --in-place. */
export function emit(io: CommandIO, value: unknown, target: string | undefined): void {
  // Inputs are depth-checked when read; a patch (copy into a child, repeated) can still deepen the result.
  if (jsonDepth(value, MAX_DEPTH) > MAX_DEPTH) throw new ToolError(`result nested deeper than ${MAX_DEPTH} levels`);
  const text = stringifyJson(value);
  if (target === undefined) {
    io.stdout(text);
    return;
  }
  try {
    writeFileAtomic(target, text);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new ToolError(`${target}: cannot write: ${code}`);
  }
}
