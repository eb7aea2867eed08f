/**
 * The process environment as runc 1.1 builds it: it sets each KEY=VALUE in
 * order with Go's os.Setenv, so a repeated key keeps its first position and
 * its last value, and an entry without "=" or with an empty name is an error.
 */
import { PlanError } from "@oci-tools/plan";

export function dedupeEnv(env: readonly string[]): string[] {
  const index = new Map<string, number>();
  const out: string[] = [];
  for (const [i, pair] of env.entries()) {
    const eq = pair.indexOf("=");
    if (eq < 0) throw new PlanError(`process.env[${i}]`, `invalid environment variable ${JSON.stringify(pair)}: missing '='`);
    const key = pair.slice(0, eq);
    if (key === "") throw new PlanError(`process.env[${i}]`, `invalid environment variable ${JSON.stringify(pair)}: name cannot be empty`);
    const at = index.get(key);
    if (at === undefined) {
      index.set(key, out.length);
      out.push(pair);
    } else {
      out[at] = pair;
    }
  }
  return out;
}
