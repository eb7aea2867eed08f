import { type CommandIO, type ParsedArgs, ToolError, UsageError } from "@oci-tools/cli";
import { InputError } from "../errors.ts";
import { PatchError, applyJsonPatch } from "../patch.ts";
import { parseJsonText } from "../read.ts";
import { emit, inPlaceTarget, inputSource, readInput } from "./io.ts";

/**
 * oci-spec patch PATCH [FILE]        PATCH is inline JSON
 * oci-spec patch -p PATCHFILE [FILE]
 */
export function runPatch(args: ParsedArgs, io: CommandIO): number {
  const patchFile = args.string("patch-file");
  const words = [args.positional("patch"), args.positional("file")].filter((w): w is string => w !== undefined);
  let patch: unknown;
  let file: string | undefined;
  if (patchFile !== undefined) {
    if (words.length > 1) throw new UsageError("with --patch-file, give at most one FILE");
    file = words[0];
    if (patchFile === "-" && (file === undefined || file === "-") && args.string("bundle") === undefined) {
      throw new UsageError("the patch and the config cannot both come from stdin");
    }
    patch = readInput(patchFile === "-" ? { kind: "stdin" } : { kind: "file", path: patchFile });
  } else {
    if (words.length === 0) throw new UsageError("patch: missing PATCH (inline JSON, or --patch-file FILE)");
    file = words[1];
    try {
      patch = parseJsonText(words[0]!, "PATCH argument");
    } catch (error) {
      if (error instanceof InputError) throw new UsageError(error.message);
      throw error;
    }
  }
  const source = inputSource(args, file);
  const target = inPlaceTarget(args, source);
  const document = readInput(source);
  let result: unknown;
  try {
    result = applyJsonPatch(document, patch);
  } catch (error) {
    if (error instanceof PatchError) throw new ToolError(error.message);
    throw error;
  }
  emit(io, result, target);
  return 0;
}
