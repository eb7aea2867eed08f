/**
 * The state as a hook reads it: compact JSON in runtime-spec's field order,
 * `pid` left out when there is none and `annotations` when empty — byte for
 * byte what runc 1.1 writes (Go's specs.State with omitempty).
 */
import type { State } from "./types.ts";

export function stateJson(state: State): string {
  const out: Record<string, unknown> = { ociVersion: state.ociVersion, id: state.id, status: state.status };
  if (state.pid !== undefined && state.pid !== 0) out.pid = state.pid;
  out.bundle = state.bundle;
  if (state.annotations && Object.keys(state.annotations).length > 0) out.annotations = state.annotations;
  return JSON.stringify(out);
}

const STATUSES = new Set(["creating", "created", "running", "stopped", "paused"]);

/** Checks a parsed value is a State (for state read from a file or stdin); throws TypeError saying what is wrong. */
export function parseState(value: unknown, source = "state"): State {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new TypeError(`${source}: not a JSON object`);
  const v = value as Record<string, unknown>;
  for (const key of ["ociVersion", "id", "bundle", "status"] as const) {
    if (typeof v[key] !== "string") throw new TypeError(`${source}: "${key}" must be a string`);
  }
  if (!STATUSES.has(v.status as string)) throw new TypeError(`${source}: unknown status "${String(v.status)}"`);
  if (v.pid !== undefined && (typeof v.pid !== "number" || !Number.isInteger(v.pid) || v.pid < 0)) {
    throw new TypeError(`${source}: "pid" must be a non-negative integer`);
  }
  if (v.annotations !== undefined) {
    const a = v.annotations;
    if (typeof a !== "object" || a === null || Array.isArray(a) || Object.values(a).some((x) => typeof x !== "string")) {
      throw new TypeError(`${source}: "annotations" must be an object of strings`);
    }
  }
  return v as unknown as State;
}
