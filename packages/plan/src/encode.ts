/**
 * encodePlan: the Plan's byte form for native/oci-init.
 * Format: native/PLAN-FORMAT.md (fixed field order, LE fixed-width numbers,
 * u32-length-prefixed strings, tag+length envelope per op).
 */
import type { NamespaceType, Op, OpName, Plan } from "./types.ts";

export class PlanEncodeError extends Error {
  constructor(readonly field: string, reason: string) {
    super(`cannot encode plan: ${field}: ${reason}`);
    this.name = "PlanEncodeError";
  }
}

export const PLAN_MAGIC = "OCIP";
export const PLAN_FORMAT_VERSION = 2;
const MAX_STRING = 1 << 20;
const MAX_LIST = 65536;

/** CLONE_NEW* values, the namespace type numbers the kernel uses. */
export const CLONE_FLAGS: Readonly<Record<NamespaceType, number>> = {
  mount: 0x00020000,
  uts: 0x04000000,
  ipc: 0x08000000,
  user: 0x10000000,
  pid: 0x20000000,
  network: 0x40000000,
  cgroup: 0x02000000,
  time: 0x00000080,
};

export const OP_KINDS: Readonly<Record<OpName, number>> = {
  sethostname: 1,
  setdomainname: 2,
  propagate: 3,
  "bind-rootfs": 4,
  mount: 5,
  mkdir: 6,
  symlink: 7,
  mknod: 8,
  "bind-device": 9,
  "pivot-root": 10,
  chroot: 11,
  "readonly-root": 12,
  "mask-path": 13,
  "readonly-path": 14,
  sysctl: 15,
  "oom-score-adj": 16,
  rlimit: 17,
  umask: 18,
  personality: 19,
  ioprio: 20,
  scheduler: 21,
  apparmor: 22,
  "selinux-label": 23,
  "no-new-privs": 24,
  identity: 25,
  seccomp: 26,
  chdir: 27,
  sync: 28,
  hook: 29,
  console: 30,
  "home-from-passwd": 31,
};

/** Hook lists native runs itself (the u8 in a "hook" op). */
export const HOOK_NAMES = { createContainer: 0, startContainer: 1 } as const;
/** Sync points (the u8 in a "sync" op). */
export const SYNC_POINTS = { createRuntime: 0 } as const;
/** At most this many startContainer hooks (process.startHooks). */
const MAX_START_HOOKS = 1024;

const utf8 = new TextEncoder();

/** A growable little-endian byte writer that validates as it writes. */
class Writer {
  private buf = new Uint8Array(1024);
  private view = new DataView(this.buf.buffer);
  length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  private int(field: string, v: number, min: number, max: number): void {
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
      throw new PlanEncodeError(field, `expected an integer in ${min}..${max}, got ${String(v)}`);
    }
  }

  u8(field: string, v: number): void {
    this.int(field, v, 0, 0xff);
    this.reserve(1);
    this.view.setUint8(this.length, v);
    this.length += 1;
  }
  u16(field: string, v: number): void {
    this.int(field, v, 0, 0xffff);
    this.reserve(2);
    this.view.setUint16(this.length, v, true);
    this.length += 2;
  }
  u32(field: string, v: number): void {
    this.int(field, v, 0, 0xffffffff);
    this.reserve(4);
    this.view.setUint32(this.length, v, true);
    this.length += 4;
  }
  i32(field: string, v: number): void {
    this.int(field, v, -0x80000000, 0x7fffffff);
    this.reserve(4);
    this.view.setInt32(this.length, v, true);
    this.length += 4;
  }
  u64(field: string, v: bigint): void {
    if (typeof v !== "bigint" || v < 0n || v > 0xffffffffffffffffn) {
      throw new PlanEncodeError(field, `expected a bigint in 0..2^64-1, got ${String(v)}`);
    }
    this.reserve(8);
    this.view.setBigUint64(this.length, v, true);
    this.length += 8;
  }
  i64(field: string, v: number): void {
    this.int(field, v, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
    this.reserve(8);
    this.view.setBigInt64(this.length, BigInt(v), true);
    this.length += 8;
  }
  bool(v: boolean): void {
    this.u8("bool", v ? 1 : 0);
  }
  raw(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.buf.set(bytes, this.length);
    this.length += bytes.length;
  }
  bytes(field: string, v: Uint8Array): void {
    if (!(v instanceof Uint8Array)) throw new PlanEncodeError(field, "expected a Uint8Array");
    if (v.length > MAX_STRING) throw new PlanEncodeError(field, `longer than ${MAX_STRING} bytes`);
    this.u32(field, v.length);
    this.raw(v);
  }
  str(field: string, v: string): void {
    if (typeof v !== "string") throw new PlanEncodeError(field, `expected a string, got ${typeof v}`);
    if (v.includes("\0")) throw new PlanEncodeError(field, "contains a NUL byte");
    const b = utf8.encode(v);
    if (b.length > MAX_STRING) throw new PlanEncodeError(field, `longer than ${MAX_STRING} bytes`);
    this.u32(field, b.length);
    this.raw(b);
  }
  strs(field: string, v: readonly string[]): void {
    this.count(field, v.length, MAX_LIST);
    v.forEach((s, i) => this.str(`${field}[${i}]`, s));
  }
  count(field: string, n: number, max: number): void {
    if (n > max) throw new PlanEncodeError(field, `more than ${max} entries`);
    this.u32(field, n);
  }
  /** Reserve a u32 slot to patch later (op payload length). */
  placeholder(): number {
    this.reserve(4);
    this.length += 4;
    return this.length - 4;
  }
  patchU32(at: number, v: number): void {
    this.view.setUint32(at, v, true);
  }
  result(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

function nsFlag(field: string, t: NamespaceType): number {
  const f = CLONE_FLAGS[t];
  if (f === undefined) throw new PlanEncodeError(field, `unknown namespace type ${JSON.stringify(t)}`);
  return f;
}

function encodeNamespaces(w: Writer, plan: Plan): void {
  const ns = plan.namespaces;
  w.count("namespaces.join", ns.join.length, 16);
  ns.join.forEach((j, i) => {
    w.u32(`namespaces.join[${i}].type`, nsFlag(`namespaces.join[${i}].type`, j.type));
    w.str(`namespaces.join[${i}].path`, j.path);
  });
  let create = 0;
  ns.create.forEach((t, i) => (create |= nsFlag(`namespaces.create[${i}]`, t)));
  w.u32("namespaces.create", create >>> 0);
  const maps = ns.idMappings;
  w.bool(maps !== undefined);
  if (maps) {
    for (const kind of ["uid", "gid"] as const) {
      const list = maps[kind];
      w.count(`namespaces.idMappings.${kind}`, list.length, 340);
      list.forEach((m, i) => {
        const f = `namespaces.idMappings.${kind}[${i}]`;
        w.u32(`${f}.containerID`, m.containerID);
        w.u32(`${f}.hostID`, m.hostID);
        w.u32(`${f}.size`, m.size);
      });
    }
    if (maps.setgroups !== "allow" && maps.setgroups !== "deny") {
      throw new PlanEncodeError("namespaces.idMappings.setgroups", `expected "allow" or "deny"`);
    }
    w.u8("namespaces.idMappings.setgroups", maps.setgroups === "allow" ? 1 : 0);
  }
  const time = ns.timeOffsets;
  w.bool(time !== undefined);
  if (time) {
    for (const clock of ["monotonic", "boottime"] as const) {
      const off = time[clock];
      w.bool(off !== undefined);
      if (off) {
        w.i64(`namespaces.timeOffsets.${clock}.secs`, off.secs);
        w.u32(`namespaces.timeOffsets.${clock}.nanosecs`, off.nanosecs);
        if (off.nanosecs >= 1e9) throw new PlanEncodeError(`namespaces.timeOffsets.${clock}.nanosecs`, "must be below 1e9");
      }
    }
  }
}

const CREATE_KINDS = { none: 0, dir: 1, file: 2 } as const;

function encodeOpPayload(w: Writer, op: Op, f: string): void {
  switch (op.op) {
    case "sethostname":
    case "setdomainname":
      return w.str(`${f}.name`, op.name);
    case "propagate":
      w.str(`${f}.target`, op.target);
      return w.u32(`${f}.flags`, op.flags);
    case "bind-rootfs":
      return w.str(`${f}.path`, op.path);
    case "mount": {
      w.str(`${f}.source`, op.source);
      w.str(`${f}.target`, op.target);
      w.str(`${f}.fstype`, op.fstype);
      w.u32(`${f}.flags`, op.flags);
      w.str(`${f}.data`, op.data);
      const create = CREATE_KINDS[op.create];
      if (create === undefined) throw new PlanEncodeError(`${f}.create`, `expected "dir", "file" or "none"`);
      w.u8(`${f}.create`, create);
      w.bool(op.remountFlags !== undefined);
      w.u32(`${f}.remountFlags`, op.remountFlags ?? 0);
      w.bool(op.propagation !== undefined);
      return w.u32(`${f}.propagation`, op.propagation ?? 0);
    }
    case "mkdir":
      w.str(`${f}.path`, op.path);
      return w.u32(`${f}.mode`, op.mode);
    case "symlink":
      w.str(`${f}.target`, op.target);
      return w.str(`${f}.linkpath`, op.linkpath);
    case "mknod":
      w.str(`${f}.path`, op.path);
      if (op.kind !== "c" && op.kind !== "b" && op.kind !== "p") throw new PlanEncodeError(`${f}.kind`, `expected "c", "b" or "p"`);
      w.u8(`${f}.kind`, op.kind.charCodeAt(0));
      w.u32(`${f}.major`, op.major);
      w.u32(`${f}.minor`, op.minor);
      w.u32(`${f}.mode`, op.mode);
      w.u32(`${f}.uid`, op.uid);
      return w.u32(`${f}.gid`, op.gid);
    case "bind-device":
      w.str(`${f}.source`, op.source);
      return w.str(`${f}.path`, op.path);
    case "pivot-root":
    case "chroot":
    case "readonly-root":
    case "no-new-privs":
      return;
    case "mask-path":
    case "readonly-path":
    case "chdir":
      return w.str(`${f}.path`, op.path);
    case "sysctl":
      w.str(`${f}.key`, op.key);
      return w.str(`${f}.value`, op.value);
    case "oom-score-adj":
      return w.i32(`${f}.value`, op.value);
    case "rlimit":
      w.u32(`${f}.resource`, op.resource);
      w.str(`${f}.name`, op.name);
      w.u64(`${f}.soft`, op.soft);
      return w.u64(`${f}.hard`, op.hard);
    case "umask":
      return w.u32(`${f}.mask`, op.mask);
    case "personality":
      return w.u32(`${f}.persona`, op.persona);
    case "ioprio":
      return w.i32(`${f}.ioprio`, op.ioprio);
    case "scheduler":
      w.u32(`${f}.policy`, op.policy);
      w.i32(`${f}.nice`, op.nice);
      w.u32(`${f}.priority`, op.priority);
      w.u64(`${f}.flags`, op.flags);
      w.u64(`${f}.runtime`, op.runtime);
      w.u64(`${f}.deadline`, op.deadline);
      return w.u64(`${f}.period`, op.period);
    case "apparmor":
      return w.str(`${f}.profile`, op.profile);
    case "selinux-label":
      return w.str(`${f}.label`, op.label);
    case "identity": {
      w.u32(`${f}.uid`, op.uid);
      w.u32(`${f}.gid`, op.gid);
      w.count(`${f}.additionalGids`, op.additionalGids.length, MAX_LIST);
      op.additionalGids.forEach((g, i) => w.u32(`${f}.additionalGids[${i}]`, g));
      for (const set of ["bounding", "effective", "permitted", "inheritable", "ambient"] as const) {
        w.u64(`${f}.caps.${set}`, op.caps[set]);
      }
      return;
    }
    case "seccomp":
      if (!(op.filter instanceof Uint8Array)) throw new PlanEncodeError(`${f}.filter`, "expected a Uint8Array");
      if (op.filter.length === 0 || op.filter.length % 8 !== 0 || op.filter.length > 4096 * 8) {
        throw new PlanEncodeError(`${f}.filter`, `length ${op.filter.length} is not 1..4096 sock_filter entries of 8 bytes`);
      }
      w.bytes(`${f}.filter`, op.filter);
      return w.u32(`${f}.flags`, op.flags);
    case "sync": {
      const point = SYNC_POINTS[op.point];
      if (point === undefined) throw new PlanEncodeError(`${f}.point`, `expected "createRuntime"`);
      return w.u8(`${f}.point`, point);
    }
    case "hook": {
      const name = HOOK_NAMES[op.name];
      if (name === undefined) throw new PlanEncodeError(`${f}.name`, `expected "createContainer" or "startContainer"`);
      w.u8(`${f}.name`, name);
      w.u32(`${f}.index`, op.index);
      w.str(`${f}.path`, op.path);
      if (!op.path.startsWith("/")) throw new PlanEncodeError(`${f}.path`, "must be absolute");
      w.strs(`${f}.args`, op.args);
      w.strs(`${f}.env`, op.env);
      return w.u32(`${f}.timeout`, op.timeout);
    }
    case "home-from-passwd":
      w.u32(`${f}.uid`, op.uid);
      w.count(`${f}.startHooks`, op.startHooks.length, MAX_START_HOOKS);
      return op.startHooks.forEach((h, i) => w.u32(`${f}.startHooks[${i}]`, h));
    case "console":
      w.u16(`${f}.rows`, op.rows);
      w.u16(`${f}.cols`, op.cols);
      if (typeof op.mountConsole !== "boolean") throw new PlanEncodeError(`${f}.mountConsole`, "expected a boolean");
      return w.bool(op.mountConsole);
    default: {
      const unknown: never = op;
      throw new PlanEncodeError(f, `unknown op ${JSON.stringify((unknown as { op: unknown }).op)}`);
    }
  }
}

/** One op in its envelope: kind u16, payload length u32, payload. */
function encodeOp(w: Writer, op: Op, f: string): void {
  const kind = OP_KINDS[op.op];
  if (kind === undefined) throw new PlanEncodeError(`${f}.op`, `unknown op ${JSON.stringify(op.op)}`);
  w.u16(`${f}.op`, kind);
  const at = w.placeholder();
  const start = w.length;
  encodeOpPayload(w, op, f);
  w.patchU32(at, w.length - start);
}

export function encodePlan(plan: Plan): Uint8Array {
  const w = new Writer();
  if (plan.version !== 1) throw new PlanEncodeError("version", `unsupported plan version ${String(plan.version)}`);
  w.raw(utf8.encode(PLAN_MAGIC));
  w.u32("version", PLAN_FORMAT_VERSION);
  w.str("containerId", plan.containerId);
  if (plan.stage0 !== "exit" && plan.stage0 !== "wait") throw new PlanEncodeError("stage0", `expected "exit" or "wait"`);
  w.u8("stage0", plan.stage0 === "exit" ? 0 : 1);
  w.strs("cgroupProcs", plan.cgroupProcs);
  encodeNamespaces(w, plan);
  w.count("ops", plan.ops.length, MAX_LIST);
  plan.ops.forEach((op, i) => encodeOp(w, op, `ops[${i}]`));
  const p = plan.process;
  plan.ops.forEach((op, i) => {
    if (op.op !== "home-from-passwd") return;
    const bad = op.startHooks.findIndex((h) => h >= (p.startHooks?.length ?? 0));
    if (bad >= 0) throw new PlanEncodeError(`ops[${i}].startHooks[${bad}]`, `no process.startHooks[${op.startHooks[bad]}]`);
  });
  if (p.args.length === 0) throw new PlanEncodeError("process.args", "must not be empty");
  w.strs("process.args", p.args);
  w.strs("process.env", p.env);
  w.u32("process.preserveFds", p.preserveFds);
  if (p.preserveFds > MAX_LIST) throw new PlanEncodeError("process.preserveFds", `more than ${MAX_LIST}`);
  w.bool(p.execFifo !== undefined);
  if (p.execFifo !== undefined) w.str("process.execFifo", p.execFifo);
  const hooks = p.startHooks ?? [];
  w.count("process.startHooks", hooks.length, MAX_START_HOOKS);
  hooks.forEach((h, i) => {
    const f = `process.startHooks[${i}]`;
    if (h.op !== "hook" || h.name !== "startContainer") throw new PlanEncodeError(f, `expected a "hook" op named "startContainer"`);
    encodeOp(w, h, f);
  });
  return w.result();
}

/** The encoded plan framed for the sync socket: u32 LE length, then the bytes. */
export function framePlan(plan: Plan): Uint8Array {
  const body = encodePlan(plan);
  if (body.length > 16 << 20) throw new PlanEncodeError("plan", "encoded plan larger than 16 MiB");
  const out = new Uint8Array(4 + body.length);
  new DataView(out.buffer).setUint32(0, body.length, true);
  out.set(body, 4);
  return out;
}
