import type { Violation } from "./types.ts";
import { formatViolation } from "./format.ts";

/** Input that cannot be read or parsed: missing file, directory, too large, not JSON. One line. */
export class InputError extends Error {
  override readonly name = "InputError";
}

/** A config that parsed but breaks the spec; carries every violation. */
export class SpecError extends Error {
  override readonly name = "SpecError";
  constructor(
    readonly source: string,
    readonly violations: readonly Violation[],
  ) {
    const count = violations.length === 1 ? "1 violation" : `${violations.length} violations`;
    super(`${source}: invalid config, ${count}:\n${violations.map(formatViolation).join("\n")}`);
  }
}
