import { type CommandIO, type ParsedArgs, UsageError } from "@oci-tools/cli";
import { diffSpecs } from "../diff.ts";
import { stringifyJson } from "../format.ts";
import type { InputSource } from "../read.ts";
import { readInput } from "./io.ts";

function source(word: string): InputSource {
  return word === "-" ? { kind: "stdin" } : { kind: "file", path: word };
}

export function runDiff(args: ParsedArgs, io: CommandIO): number {
  const a = args.positional("a")!;
  const b = args.positional("b")!;
  if (a === "-" && b === "-") throw new UsageError("only one of A and B can be stdin");
  const patch = diffSpecs(readInput(source(a)), readInput(source(b)));
  io.stdout(stringifyJson(patch));
  return 0;
}
