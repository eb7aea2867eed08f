import { constants } from "node:os";
import { UsageError } from "@oci-tools/cli";

const byName = constants.signals as Record<string, number>;

/** "KILL", "SIGKILL", "sigkill", "9" → 9 (runc accepts all of these). */
export function parseSignal(text: string): number {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    if (n >= 1 && n <= 64) return n;
  } else {
    const upper = text.toUpperCase();
    const name = upper.startsWith("SIG") ? upper : `SIG${upper}`;
    const n = byName[name];
    if (n !== undefined) return n;
    const rt = /^SIGRTMIN(?:\+(\d+))?$/.exec(name) ?? /^SIGRTMAX(?:-(\d+))?$/.exec(name);
    if (rt) return name.startsWith("SIGRTMIN") ? 34 + Number(rt[1] ?? 0) : 64 - Number(rt[1] ?? 0);
  }
  throw new UsageError(`invalid signal ${JSON.stringify(text)}`);
}

export function signalName(n: number): string {
  for (const [k, v] of Object.entries(byName)) if (v === n) return k;
  return String(n);
}
