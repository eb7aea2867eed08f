/**
 * process.terminal → the plan's "console" op (pure). runc sets the console up
 * right after pivot_root, before the read-only remounts of finalizeRootfs
 * (binding the pty onto /dev/console needs /dev still writable), and for exec
 * before the process's privileges are dropped.
 */
import type { Op, Plan } from "@oci-tools/plan";

export interface ConsoleSize {
  readonly height: number;
  readonly width: number;
}

export function consoleOp(size: ConsoleSize | undefined, mountConsole: boolean): Extract<Op, { op: "console" }> {
  return { op: "console", rows: size?.height ?? 0, cols: size?.width ?? 0, mountConsole };
}

/** The plan with `op` right after its pivot-root/chroot, or first when it has none (exec). */
export function withConsole(plan: Plan, op: Extract<Op, { op: "console" }>): Plan {
  const pivot = plan.ops.findIndex((o) => o.op === "pivot-root" || o.op === "chroot");
  const at = pivot + 1; // -1 → 0
  return { ...plan, ops: [...plan.ops.slice(0, at), op, ...plan.ops.slice(at)] };
}
