/**
 * composePlan: joins planner fragments into one Plan, in a fixed phase order.
 *
 *   1. utsOps        sethostname / setdomainname
 *   2. rootfsOps     propagation of "/", bind-rootfs, mounts, devices, /dev links
 *   3. pivot         pivot-root or chroot (at most one fragment may carry it)
 *   4. postPivotOps  read-only remounts, readonly-root, sysctl, readonly/masked paths
 *   5. processOps    stable-sorted by PROCESS_OP_ORDER below
 *
 * Within phases 1–4 each fragment's ops keep their order and fragments are
 * concatenated in the order given. Phase 5 is sorted because several planners
 * contribute to it (oci-caps: rlimits … identity, chdir; oci-seccomp: the
 * filter) and the kernel dictates where each must go:
 *
 *   rlimit, personality, ioprio, scheduler, umask, apparmor, no-new-privs,
 *   selinux-label, home-from-passwd, [seccomp when no no-new-privs],
 *   identity, chdir, [seccomp when no-new-privs]
 *
 * - rlimits, scheduler and ioprio may need CAP_SYS_RESOURCE / CAP_SYS_NICE /
 *   CAP_SYS_ADMIN, which identity may drop: they come first.
 * - no-new-privs before the SELinux exec label and seccomp (runc's order).
 * - Without no_new_privs, installing a seccomp filter needs CAP_SYS_ADMIN, so
 *   it must precede identity; with it, it goes as late as possible so that the
 *   fewest syscalls run under the filter before execve (runc does the same).
 * - home-from-passwd before identity (runc looks the user up while still
 *   root: a 0600 /etc/passwd stays readable) and before a seccomp filter
 *   (the runtime's own read is not the container's syscall).
 * - chdir after identity (runc's finalizeNamespace: the user may be able to
 *   enter a directory root cannot, e.g. root-squashed NFS).
 *
 * Pure: no I/O, no clock, no environment.
 */
import type { NamespacePlan, NamespaceType, Op, OpName, Plan, PlanFragment, ProcessPlan } from "./types.ts";

/** An error in the input to a planner or the composer; `field` says where (a JSON path into the spec, or a plan part). */
export class PlanError extends Error {
  override readonly name = "PlanError";
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(field ? `${field}: ${reason}` : reason);
  }
}

export type PivotOp = Extract<Op, { op: "pivot-root" } | { op: "chroot" }>;

/**
 * A planner's output as the composer takes it: PlanFragment plus the two
 * phases types.ts has no field for (hostname ops, which run first, and the
 * single pivot op between rootfsOps and postPivotOps).
 */
export interface ComposeFragment extends PlanFragment {
  readonly utsOps?: readonly Op[];
  readonly pivot?: PivotOp;
}

export interface ComposeInput {
  readonly containerId: string;
  readonly stage0: Plan["stage0"];
  /** Absolute cgroup.procs files (from oci-cgroup), joined before any fragment's. */
  readonly cgroupProcs?: readonly string[];
  /** Fragments from the planners, in any order except that ops of one phase keep fragment order. */
  readonly fragments: readonly ComposeFragment[];
  readonly process: ProcessPlan;
}

const UTS_OPS: ReadonlySet<OpName> = new Set(["sethostname", "setdomainname"]);

const ROOTFS_OPS: ReadonlySet<OpName> = new Set([
  "propagate",
  "bind-rootfs",
  "mount",
  "mkdir",
  "symlink",
  "mknod",
  "bind-device",
  "oom-score-adj",
]);

const POST_PIVOT_OPS: ReadonlySet<OpName> = new Set([
  "mount",
  "readonly-root",
  "mask-path",
  "readonly-path",
  "sysctl",
  "symlink",
  "mkdir",
  "oom-score-adj",
]);

/** Rootfs-phase ops whose paths are inside the container's root. */
const IN_ROOTFS_OPS: ReadonlySet<OpName> = new Set(["mount", "mkdir", "symlink", "mknod", "bind-device"]);

/** Rank of each process op; seccomp's rank depends on no-new-privs (see header). */
const PROCESS_OP_ORDER: readonly OpName[] = [
  "rlimit",
  "personality",
  "ioprio",
  "scheduler",
  "umask",
  "apparmor",
  "no-new-privs",
  "selinux-label",
  "home-from-passwd",
  "identity",
  "chdir",
];

function processRank(name: OpName, noNewPrivs: boolean): number {
  if (name === "seccomp") {
    // Before identity (needs CAP_SYS_ADMIN) unless no_new_privs lets us defer it.
    return noNewPrivs ? PROCESS_OP_ORDER.length : PROCESS_OP_ORDER.indexOf("identity") - 0.5;
  }
  const rank = PROCESS_OP_ORDER.indexOf(name);
  return rank;
}

/** Ops that may appear at most once in a plan. */
const SINGLETON_OPS: readonly OpName[] = [
  "identity",
  "chdir",
  "no-new-privs",
  "umask",
  "personality",
  "ioprio",
  "scheduler",
  "apparmor",
  "selinux-label",
  "bind-rootfs",
  "readonly-root",
  "oom-score-adj",
  "home-from-passwd",
];

function hasNamespace(ns: NamespacePlan, type: NamespaceType): boolean {
  return ns.create.includes(type) || ns.join.some((j) => j.type === type);
}

function mergeNamespaces(fragments: readonly ComposeFragment[]): NamespacePlan {
  const withNs = fragments.filter((f) => f.namespaces !== undefined);
  if (withNs.length > 1) {
    throw new PlanError("namespaces", `${withNs.length} fragments carry a namespace plan; exactly one planner (oci-ns) may`);
  }
  return withNs[0]?.namespaces ?? { join: [], create: [] };
}

function checkPhase(ops: readonly Op[], allowed: ReadonlySet<OpName>, phase: string): void {
  ops.forEach((op, i) => {
    if (!allowed.has(op.op)) throw new PlanError(`${phase}[${i}]`, `op "${op.op}" does not belong in ${phase}`);
  });
}

export function composePlan(input: ComposeInput): Plan {
  const { fragments } = input;
  if (input.containerId === "") throw new PlanError("containerId", "must not be empty");
  if (input.process.args.length === 0) throw new PlanError("process.args", "must name a program to execute");
  if (!Number.isInteger(input.process.preserveFds) || input.process.preserveFds < 0) {
    throw new PlanError("process.preserveFds", `must be a non-negative integer, got ${input.process.preserveFds}`);
  }

  const namespaces = mergeNamespaces(fragments);
  const cgroupProcs = [...(input.cgroupProcs ?? []), ...fragments.flatMap((f) => f.cgroupProcs ?? [])];
  cgroupProcs.forEach((p, i) => {
    if (!p.startsWith("/")) throw new PlanError(`cgroupProcs[${i}]`, `must be an absolute path, got "${p}"`);
  });

  const utsOps = fragments.flatMap((f) => f.utsOps ?? []);
  const rootfsOps = fragments.flatMap((f) => f.rootfsOps ?? []);
  const postPivotOps = fragments.flatMap((f) => f.postPivotOps ?? []);
  const processOps = fragments.flatMap((f) => f.processOps ?? []);
  checkPhase(utsOps, UTS_OPS, "utsOps");
  checkPhase(rootfsOps, ROOTFS_OPS, "rootfsOps");
  checkPhase(postPivotOps, POST_PIVOT_OPS, "postPivotOps");

  const pivots = fragments.flatMap((f) => (f.pivot ? [f.pivot] : []));
  if (pivots.length > 1) throw new PlanError("pivot", "more than one fragment pivots the root");
  const pivot = pivots[0];

  // Mount and hostname changes must never reach the host's namespaces.
  if (utsOps.length > 0 && !hasNamespace(namespaces, "uts")) {
    throw new PlanError("utsOps", "setting the hostname or domainname needs a private UTS namespace");
  }
  const touchesMounts = rootfsOps.some((op) => op.op !== "oom-score-adj") || pivot !== undefined || postPivotOps.some((op) => op.op !== "sysctl" && op.op !== "oom-score-adj");
  if (touchesMounts && !namespaces.create.includes("mount")) {
    throw new PlanError("rootfsOps", "setting up a rootfs needs a new mount namespace (namespaces.create has no \"mount\")");
  }
  if (postPivotOps.some((op) => op.op !== "sysctl" && op.op !== "oom-score-adj") && pivot === undefined) {
    throw new PlanError("postPivotOps", "ops after pivot given but no fragment pivots the root");
  }
  if (rootfsOps.some((op) => op.op === "bind-rootfs") && pivot === undefined) {
    throw new PlanError("pivot", "the rootfs is prepared (bind-rootfs) but never entered (no pivot-root/chroot)");
  }
  // Ops "in rootfs" before bind-rootfs would act on the host's "/".
  const bindAt = rootfsOps.findIndex((op) => op.op === "bind-rootfs");
  if (pivot !== undefined && bindAt < 0) throw new PlanError("pivot", "pivot-root/chroot without a bind-rootfs to enter");
  rootfsOps.forEach((op, i) => {
    if (IN_ROOTFS_OPS.has(op.op) && (bindAt < 0 || i < bindAt)) {
      throw new PlanError(`rootfsOps[${i}]`, `op "${op.op}" works inside the rootfs but comes before bind-rootfs`);
    }
  });

  processOps.forEach((op, i) => {
    if (op.op !== "seccomp" && !PROCESS_OP_ORDER.includes(op.op)) {
      throw new PlanError(`processOps[${i}]`, `op "${op.op}" does not belong in processOps`);
    }
  });
  const noNewPrivs = processOps.some((op) => op.op === "no-new-privs");
  const sortedProcessOps = processOps
    .map((op, index) => ({ op, index, rank: processRank(op.op, noNewPrivs) }))
    .sort((a, b) => a.rank - b.rank || a.index - b.index)
    .map((e) => e.op);

  const ops: Op[] = [...utsOps, ...rootfsOps, ...(pivot ? [pivot] : []), ...postPivotOps, ...sortedProcessOps];
  for (const name of SINGLETON_OPS) {
    const count = ops.filter((op) => op.op === name).length;
    if (count > 1) throw new PlanError("ops", `op "${name}" appears ${count} times; at most once is allowed`);
  }

  return {
    version: 1,
    containerId: input.containerId,
    stage0: input.stage0,
    cgroupProcs,
    namespaces,
    ops,
    process: input.process,
  };
}
