import { type CommandIO, type ParsedArgs, ToolError } from "@oci-tools/cli";
import { formatViolation } from "../format.ts";
import { sourceName } from "../read.ts";
import { upgradeSpec } from "../upgrade.ts";
import { validateSpec } from "../validate.ts";
import { inputSource, readInput } from "./io.ts";

/** Silent on success (exit 0); every violation in one message otherwise (exit 1). */
export function runValidate(args: ParsedArgs, _io: CommandIO): number {
  const source = inputSource(args, args.positional("file"));
  const value = readInput(source);
  const strict = args.bool("strict");
  let violations;
  if (args.bool("literal")) {
    violations = validateSpec(value, { strict });
  } else {
    const upgraded = upgradeSpec(value);
    violations = [...upgraded.violations, ...validateSpec(upgraded.value, { strict })];
  }
  if (violations.length === 0) return 0;
  const count = violations.length === 1 ? "1 violation" : `${violations.length} violations`;
  throw new ToolError(`${sourceName(source)}: invalid config, ${count}: ${violations.map(formatViolation).join("; ")}`);
}
