/**
 * planProcess: the process's privileges → processOps.
 *
 * Emitted in the order the composer keeps (packages/plan/src/compose.ts has
 * the reasons): rlimit…, personality, ioprio, scheduler, umask, apparmor,
 * no-new-privs, selinux-label, home-from-passwd, identity, chdir. In short: everything that
 * may need privileges (raising a hard rlimit needs CAP_SYS_RESOURCE, an RT
 * scheduler CAP_SYS_NICE, the RT I/O class CAP_SYS_ADMIN) comes before
 * identity drops them; no-new-privs before the exec label and seccomp, as
 * runc; chdir after identity, as runc's finalizeNamespace.
 *
 * Policy:
 * - No process.capabilities at all means an empty set everywhere (runc).
 * - A flat list (the rc1 form) means bounding = effective = permitted = list.
 * - Unknown capability, rlimit, policy, class or flag names are errors.
 * - The capset(2)/PR_CAP_AMBIENT rules are checked here so a bad config fails
 *   with a message instead of EPERM from inside the container: effective ⊆
 *   permitted, inheritable ⊆ bounding (capset after the bounding drop).
 *   Ambient capabilities outside permitted ∩ inheritable are dropped with a
 *   warning, as runc does (PR_CAP_AMBIENT_RAISE refuses them; runc goes on).
 * - umask defaults to 0022 (runc's finalizeRootfs).
 * - HOME: when process.env has no HOME, or its last HOME= is empty (runc
 *   applies the entries in order, then tests getenv("HOME") == ""), a
 *   home-from-passwd op for the process's uid: native sets HOME from the
 *   container's /etc/passwd, "/" without an entry (runc 1.1's setupUser).
 */
import { posix } from "node:path";
import { PlanError, type Op, type PlanFragment } from "@oci-tools/plan";
import {
  CAPABILITIES,
  capabilityNames,
  IOPRIO_CLASS_SHIFT,
  IOPRIO_CLASSES,
  lookup,
  PERSONALITY_DOMAINS,
  PERSONALITY_FLAGS,
  RLIM_INFINITY,
  RLIMITS,
  SCHED_FLAGS,
  SCHED_POLICIES,
} from "./names.ts";
import type { CapsSpec, CapsSpecScheduler } from "./spec-like.ts";

export interface ProcessOptions {
  /** LSMs the host has enabled; when given, an apparmorProfile/selinuxLabel for a missing one is an error. */
  readonly hostLsm?: { readonly apparmor: boolean; readonly selinux: boolean };
  /** Emit chdir(process.cwd) (default true; `oci-caps exec` turns it off, like setpriv). */
  readonly chdir?: boolean;
  /** Emit home-from-passwd when process.env lacks HOME (default true; `oci-caps exec` runs with the caller's env and turns it off). */
  readonly home?: boolean;
}

export type CapabilitySets = Extract<Op, { op: "identity" }>["caps"];

const SET_NAMES = ["bounding", "effective", "inheritable", "permitted", "ambient"] as const;
type SetName = (typeof SET_NAMES)[number];

const UINT32_MAX = 0xffffffff;
const U64_MAX = 0xffff_ffff_ffff_ffffn;

function capMask(field: string, names: readonly string[] | undefined): bigint {
  let mask = 0n;
  (names ?? []).forEach((name, i) => {
    const bit = lookup(CAPABILITIES, name);
    if (bit === undefined) throw new PlanError(`${field}[${i}]`, `unknown capability "${name}"`);
    mask |= 1n << BigInt(bit);
  });
  return mask;
}

/**
 * process.capabilities → the five masks, with the kernel's subset rules
 * checked. Ambient capabilities the kernel would not raise are dropped and
 * described in `warnings` (when given).
 */
export function capabilitySets(spec: CapsSpec, warnings: string[] = []): CapabilitySets {
  const caps = spec.process?.capabilities;
  const field = "process.capabilities";
  let sets: Record<SetName, bigint>;
  if (caps === undefined) {
    sets = { bounding: 0n, effective: 0n, inheritable: 0n, permitted: 0n, ambient: 0n };
  } else if (Array.isArray(caps)) {
    const m = capMask(field, caps as readonly string[]);
    sets = { bounding: m, effective: m, inheritable: 0n, permitted: m, ambient: 0n };
  } else {
    const obj = caps as Exclude<typeof caps, readonly string[]>;
    sets = Object.fromEntries(SET_NAMES.map((s) => [s, capMask(`${field}.${s}`, obj[s])])) as Record<SetName, bigint>;
  }
  const missing = (sub: bigint, sup: bigint) => capabilityNames(sub & ~sup).join(", ");
  if ((sets.effective & ~sets.permitted) !== 0n) {
    throw new PlanError(`${field}.effective`, `${missing(sets.effective, sets.permitted)} not in the permitted set (capset(2) refuses effective ⊄ permitted)`);
  }
  if ((sets.inheritable & ~sets.bounding) !== 0n) {
    throw new PlanError(`${field}.inheritable`, `${missing(sets.inheritable, sets.bounding)} not in the bounding set (capset(2) refuses new inheritable capabilities outside it)`);
  }
  // The kernel refuses to raise an ambient capability outside permitted ∩
  // inheritable; runc ignores that refusal (its own `runc spec` asks for
  // ambient caps with an empty inheritable set), so the container gets only
  // the raisable ones. Same here, with a warning naming the dropped ones.
  const pi = sets.permitted & sets.inheritable;
  if ((sets.ambient & ~pi) !== 0n) {
    warnings.push(`${field}.ambient: ${missing(sets.ambient, pi)} not in both permitted and inheritable; not raised (PR_CAP_AMBIENT_RAISE would refuse it)`);
    sets.ambient &= pi;
  }
  return sets;
}

/** A spec rlimit value (uint64; JSON numbers past 2^53 lose precision) → bigint. */
export function rlimitValue(field: string, v: number | bigint): bigint {
  if (typeof v === "bigint") {
    if (v < 0n || v > U64_MAX) throw new PlanError(field, `must be in 0..${U64_MAX}, got ${v}`);
    return v;
  }
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0) throw new PlanError(field, `must be a non-negative integer, got ${String(v)}`);
  // 18446744073709551615 (RLIM_INFINITY) parses to 2^64; anything that close can only mean infinity.
  if (v >= 2 ** 64 - 2 ** 11) {
    if (v > 2 ** 64) throw new PlanError(field, `must be at most ${U64_MAX}, got ${v}`);
    return RLIM_INFINITY;
  }
  if (!Number.isSafeInteger(v)) throw new PlanError(field, `${v} is past 2^53 and was rounded when the JSON was read; give a smaller value or 18446744073709551615 for unlimited`);
  return BigInt(v);
}

function rlimitOps(spec: CapsSpec): Op[] {
  const seen = new Set<string>();
  return (spec.process?.rlimits ?? []).map((r, i) => {
    const field = `process.rlimits[${i}]`;
    const resource = lookup(RLIMITS, r.type);
    if (resource === undefined) throw new PlanError(`${field}.type`, `unknown rlimit "${r.type}" (one of ${Object.keys(RLIMITS).join(", ")})`);
    if (seen.has(r.type)) throw new PlanError(`${field}.type`, `rlimit ${r.type} is given twice`);
    seen.add(r.type);
    const soft = rlimitValue(`${field}.soft`, r.soft);
    const hard = rlimitValue(`${field}.hard`, r.hard);
    if (soft > hard) throw new PlanError(field, `${r.type}: soft limit ${soft} exceeds hard limit ${hard}`);
    return { op: "rlimit", resource, name: r.type, soft, hard } satisfies Op;
  });
}

function personalityOp(spec: CapsSpec): Op[] {
  const p = spec.linux?.personality;
  if (p === undefined) return [];
  const domain = lookup(PERSONALITY_DOMAINS, p.domain);
  if (domain === undefined) throw new PlanError("linux.personality.domain", `unknown execution domain "${p.domain}" (LINUX or LINUX32)`);
  let persona = domain;
  (p.flags ?? []).forEach((name, i) => {
    const flag = lookup(PERSONALITY_FLAGS, name);
    if (flag === undefined) throw new PlanError(`linux.personality.flags[${i}]`, `unknown personality flag "${name}" (one of ${Object.keys(PERSONALITY_FLAGS).join(", ")})`);
    persona |= flag;
  });
  return [{ op: "personality", persona }];
}

function ioprioOp(spec: CapsSpec): Op[] {
  const io = spec.process?.ioPriority;
  if (io === undefined) return [];
  const cls = lookup(IOPRIO_CLASSES, io.class);
  if (cls === undefined) throw new PlanError("process.ioPriority.class", `unknown I/O priority class "${io.class}" (one of ${Object.keys(IOPRIO_CLASSES).join(", ")})`);
  const level = io.priority ?? 0;
  if (!Number.isInteger(level) || level < 0 || level > 7) throw new PlanError("process.ioPriority.priority", `must be an integer in 0..7, got ${String(level)}`);
  return [{ op: "ioprio", ioprio: (cls << IOPRIO_CLASS_SHIFT) | level }];
}

function u64(field: string, v: number | bigint | undefined): bigint {
  if (v === undefined) return 0n;
  return rlimitValue(field, v);
}

function schedulerOp(s: CapsSpecScheduler | undefined): Op[] {
  if (s === undefined) return [];
  const f = "process.scheduler";
  const policy = lookup(SCHED_POLICIES, s.policy);
  if (policy === undefined) throw new PlanError(`${f}.policy`, `unknown scheduler policy "${s.policy}" (one of ${Object.keys(SCHED_POLICIES).join(", ")})`);
  const nice = s.nice ?? 0;
  if (!Number.isInteger(nice) || nice < -20 || nice > 19) throw new PlanError(`${f}.nice`, `must be an integer in -20..19, got ${String(nice)}`);
  const priority = s.priority ?? 0;
  const realtime = s.policy === "SCHED_FIFO" || s.policy === "SCHED_RR";
  if (!Number.isInteger(priority)) throw new PlanError(`${f}.priority`, `must be an integer, got ${String(priority)}`);
  if (realtime && (priority < 1 || priority > 99)) throw new PlanError(`${f}.priority`, `must be in 1..99 for ${s.policy}, got ${priority}`);
  if (!realtime && priority !== 0) throw new PlanError(`${f}.priority`, "can only be specified for SCHED_FIFO or SCHED_RR");
  let flags = 0n;
  (s.flags ?? []).forEach((name, i) => {
    const bit = lookup(SCHED_FLAGS, name);
    if (bit === undefined) throw new PlanError(`${f}.flags[${i}]`, `unknown scheduler flag "${name}" (one of ${Object.keys(SCHED_FLAGS).join(", ")})`);
    flags |= bit;
  });
  const runtime = u64(`${f}.runtime`, s.runtime);
  const deadline = u64(`${f}.deadline`, s.deadline);
  const period = u64(`${f}.period`, s.period);
  if (s.policy === "SCHED_DEADLINE") {
    // The kernel's __checkparam_dl: deadline set, runtime ≥ 1024 ns, runtime ≤ deadline ≤ period (0 = deadline).
    if (deadline === 0n) throw new PlanError(`${f}.deadline`, "SCHED_DEADLINE needs a deadline");
    if (runtime < 1024n) throw new PlanError(`${f}.runtime`, `must be at least 1024 ns, got ${runtime}`);
    if (runtime > deadline) throw new PlanError(`${f}.runtime`, `${runtime} exceeds deadline ${deadline}`);
    if (period !== 0n && deadline > period) throw new PlanError(`${f}.deadline`, `${deadline} exceeds period ${period}`);
  } else if (runtime !== 0n || deadline !== 0n || period !== 0n) {
    throw new PlanError(f, "runtime/deadline/period can only be specified for SCHED_DEADLINE");
  }
  return [{ op: "scheduler", policy, nice, priority, flags, runtime, deadline, period }];
}

function id(field: string, v: number | undefined): number {
  const n = v ?? 0;
  if (!Number.isInteger(n) || n < 0 || n > UINT32_MAX - 1) throw new PlanError(field, `must be an integer in 0..4294967294, got ${String(v)}`);
  return n;
}

function lsmOps(spec: CapsSpec, opts: ProcessOptions): { apparmor: Op[]; selinux: Op[] } {
  const profile = spec.process?.apparmorProfile;
  const label = spec.process?.selinuxLabel;
  const apparmor: Op[] = [];
  const selinux: Op[] = [];
  if (profile !== undefined && profile !== "") {
    if (opts.hostLsm && !opts.hostLsm.apparmor) throw new PlanError("process.apparmorProfile", "AppArmor is not enabled on this host");
    apparmor.push({ op: "apparmor", profile });
  }
  if (label !== undefined && label !== "") {
    if (opts.hostLsm && !opts.hostLsm.selinux) throw new PlanError("process.selinuxLabel", "SELinux is not enabled on this host");
    selinux.push({ op: "selinux-label", label });
  }
  return { apparmor, selinux };
}

/** True when the process would start without a usable HOME: runc 1.1 then sets it from /etc/passwd. */
export function lacksHome(env: readonly string[] | undefined): boolean {
  let home = "";
  for (const entry of env ?? []) if (entry.startsWith("HOME=")) home = entry.slice("HOME=".length);
  return home === "";
}

/** processOps, plus warnings for what the kernel would not do and was left out (print or log them). */
export interface ProcessFragment extends PlanFragment {
  readonly processOps: readonly Op[];
  readonly warnings: readonly string[];
}

export function planProcess(spec: CapsSpec, opts: ProcessOptions = {}): ProcessFragment {
  const warnings: string[] = [];
  const user = spec.process?.user ?? {};
  const umask = user.umask ?? 0o022;
  if (!Number.isInteger(umask) || umask < 0 || umask > 0o777) throw new PlanError("process.user.umask", `must be in 0..0777, got ${String(user.umask)}`);
  const uid = id("process.user.uid", user.uid);
  const additionalGids = (user.additionalGids ?? []).map((g, i) => id(`process.user.additionalGids[${i}]`, g));
  const identity: Op = {
    op: "identity",
    uid,
    gid: id("process.user.gid", user.gid),
    additionalGids,
    caps: capabilitySets(spec, warnings),
  };
  const { apparmor, selinux } = lsmOps(spec, opts);
  const ops: Op[] = [
    ...rlimitOps(spec),
    ...personalityOp(spec),
    ...ioprioOp(spec),
    ...schedulerOp(spec.process?.scheduler),
    { op: "umask", mask: umask },
    ...apparmor,
    ...(spec.process?.noNewPrivileges === true ? [{ op: "no-new-privs" } satisfies Op] : []),
    ...selinux,
    ...(opts.home !== false && lacksHome(spec.process?.env) ? [{ op: "home-from-passwd", uid, startHooks: [] } satisfies Op] : []),
    identity,
  ];
  if (opts.chdir !== false) {
    const cwd = spec.process?.cwd ?? "/";
    if (!cwd.startsWith("/")) throw new PlanError("process.cwd", `must be an absolute path, got "${cwd}"`);
    if (cwd.includes("\0")) throw new PlanError("process.cwd", "must not contain a NUL byte");
    const path = posix.normalize(cwd);
    ops.push({ op: "chdir", path: path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path });
  }
  return { processOps: ops, warnings };
}
