import type { Violation } from "./types.ts";

/** "/process/cwd: must be an absolute path"; the whole document is shown as "(root)". */
export function formatViolation(v: Violation): string {
  return `${v.pointer === "" ? "(root)" : v.pointer}: ${v.message}`;
}

/** How every oci-spec output is written: 2-space indent, trailing newline. */
export function stringifyJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
