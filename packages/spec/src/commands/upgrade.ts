import { type CommandIO, type ParsedArgs, ToolError } from "@oci-tools/cli";
import { formatViolation } from "../format.ts";
import { sourceName } from "../read.ts";
import { upgradeSpec } from "../upgrade.ts";
import { emit, inPlaceTarget, inputSource, readInput } from "./io.ts";

export function runUpgrade(args: ParsedArgs, io: CommandIO): number {
  const source = inputSource(args, args.positional("file"));
  const target = inPlaceTarget(args, source);
  const value = readInput(source);
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ToolError(`${sourceName(source)}: expected a JSON object (a config), got ${Array.isArray(value) ? "an array" : JSON.stringify(value)}`);
  }
  const result = upgradeSpec(value);
  if (result.violations.length > 0) {
    throw new ToolError(`${sourceName(source)}: ${result.violations.map(formatViolation).join("; ")}`);
  }
  if (args.bool("verbose")) {
    for (const change of result.changes) io.stderr(`oci-spec: upgrade: ${change.pointer}: ${change.message}\n`);
  }
  emit(io, result.value, target);
  return 0;
}
