import { describe, expect, test } from "bun:test";
import { CLONE_FLAGS, OP_KINDS, PlanEncodeError, encodePlan, framePlan, type Op, type Plan } from "../src/index.ts";
import { EVERY_OP, fullPlan, minimalPlan } from "./plans.ts";

/** An independent reader of native/PLAN-FORMAT.md, to check the encoder against the document. */
class Reader {
  pos = 0;
  private view: DataView;
  constructor(private buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  u8 = () => this.view.getUint8((this.pos += 1) - 1);
  u16 = () => this.view.getUint16((this.pos += 2) - 2, true);
  u32 = () => this.view.getUint32((this.pos += 4) - 4, true);
  i32 = () => this.view.getInt32((this.pos += 4) - 4, true);
  u64 = () => this.view.getBigUint64((this.pos += 8) - 8, true);
  i64 = () => Number(this.view.getBigInt64((this.pos += 8) - 8, true));
  bool = () => this.u8() === 1;
  bytes = () => {
    const n = this.u32();
    return this.buf.slice(this.pos, (this.pos += n));
  };
  str = () => new TextDecoder().decode(this.bytes());
  strs = () => Array.from({ length: this.u32() }, () => this.str());
  strsOf = <T>(item: () => T): T[] => Array.from({ length: this.u32() }, item);
  end = () => this.pos === this.buf.length;
}

const NS_BY_FLAG = new Map(Object.entries(CLONE_FLAGS).map(([k, v]) => [v, k]));
const OP_BY_KIND = new Map(Object.entries(OP_KINDS).map(([k, v]) => [v, k]));

function decodeOp(kind: string, r: Reader): Op {
  const o = (x: object) => ({ op: kind, ...x }) as Op;
  switch (kind) {
    case "sethostname": case "setdomainname": return o({ name: r.str() });
    case "propagate": return o({ target: r.str(), flags: r.u32() });
    case "bind-rootfs": case "mask-path": case "readonly-path": case "chdir": return o({ path: r.str() });
    case "mount": {
      const m: Record<string, unknown> = { source: r.str(), target: r.str(), fstype: r.str(), flags: r.u32(), data: r.str(), create: ["none", "dir", "file"][r.u8()] };
      const hasRemount = r.bool(), remount = r.u32(), hasProp = r.bool(), prop = r.u32();
      if (hasRemount) m.remountFlags = remount;
      if (hasProp) m.propagation = prop;
      return o(m);
    }
    case "mkdir": return o({ path: r.str(), mode: r.u32() });
    case "symlink": return o({ target: r.str(), linkpath: r.str() });
    case "mknod": return o({ path: r.str(), kind: String.fromCharCode(r.u8()), major: r.u32(), minor: r.u32(), mode: r.u32(), uid: r.u32(), gid: r.u32() });
    case "bind-device": return o({ source: r.str(), path: r.str() });
    case "sysctl": return o({ key: r.str(), value: r.str() });
    case "oom-score-adj": return o({ value: r.i32() });
    case "rlimit": return o({ resource: r.u32(), name: r.str(), soft: r.u64(), hard: r.u64() });
    case "umask": return o({ mask: r.u32() });
    case "personality": return o({ persona: r.u32() });
    case "ioprio": return o({ ioprio: r.i32() });
    case "scheduler": return o({ policy: r.u32(), nice: r.i32(), priority: r.u32(), flags: r.u64(), runtime: r.u64(), deadline: r.u64(), period: r.u64() });
    case "apparmor": return o({ profile: r.str() });
    case "selinux-label": return o({ label: r.str() });
    case "identity": {
      const uid = r.u32(), gid = r.u32();
      const additionalGids = Array.from({ length: r.u32() }, () => r.u32());
      const [bounding, effective, permitted, inheritable, ambient] = [r.u64(), r.u64(), r.u64(), r.u64(), r.u64()];
      return o({ uid, gid, additionalGids, caps: { bounding, effective, permitted, inheritable, ambient } });
    }
    case "seccomp": return o({ filter: r.bytes(), flags: r.u32() });
    case "sync": return o({ point: ["createRuntime"][r.u8()] });
    case "hook": return o({ name: ["createContainer", "startContainer"][r.u8()], index: r.u32(), path: r.str(), args: r.strs(), env: r.strs(), timeout: r.u32() });
    case "console": return o({ rows: r.u16(), cols: r.u16(), mountConsole: r.bool() });
    case "home-from-passwd": return o({ uid: r.u32(), startHooks: r.strsOf(() => r.u32()) });
    default: return o({});
  }
}

function decode(buf: Uint8Array): Plan {
  const r = new Reader(buf);
  expect(new TextDecoder().decode(buf.slice(0, 4))).toBe("OCIP");
  r.pos = 4;
  expect(r.u32()).toBe(2);
  const containerId = r.str();
  const stage0 = r.u8() === 0 ? "exit" : "wait";
  const cgroupProcs = r.strs();
  const join = Array.from({ length: r.u32() }, () => ({ type: NS_BY_FLAG.get(r.u32()), path: r.str() }));
  const flags = r.u32();
  const create = Object.entries(CLONE_FLAGS).filter(([, f]) => flags & f).map(([k]) => k);
  const namespaces: Record<string, unknown> = { join, create };
  if (r.bool()) {
    const maps = () => Array.from({ length: r.u32() }, () => ({ containerID: r.u32(), hostID: r.u32(), size: r.u32() }));
    namespaces.idMappings = { uid: maps(), gid: maps(), setgroups: r.u8() === 1 ? "allow" : "deny" };
  }
  if (r.bool()) {
    const t: Record<string, unknown> = {};
    for (const clock of ["monotonic", "boottime"]) if (r.bool()) t[clock] = { secs: r.i64(), nanosecs: r.u32() };
    namespaces.timeOffsets = t;
  }
  const envelope = (): Op => {
    const kind = OP_BY_KIND.get(r.u16())!;
    const len = r.u32();
    const start = r.pos;
    const op = decodeOp(kind, r);
    expect(r.pos - start).toBe(len); // the envelope length is the payload's
    return op;
  };
  const ops = Array.from({ length: r.u32() }, envelope);
  const args = r.strs(), env = r.strs(), preserveFds = r.u32();
  const process: Record<string, unknown> = { args, env, preserveFds };
  if (r.bool()) process.execFifo = r.str();
  const startHooks = Array.from({ length: r.u32() }, envelope);
  if (startHooks.length) process.startHooks = startHooks;
  expect(r.end()).toBe(true);
  return { version: 1, containerId, stage0, cgroupProcs, namespaces, ops, process } as unknown as Plan;
}

/** Namespace create order is not kept (a bit set): compare sorted. */
function normalize(p: Plan): unknown {
  return { ...p, namespaces: { ...p.namespaces, create: [...p.namespaces.create].sort() } };
}

const HOOK = { op: "hook", name: "createContainer", index: 0, path: "/bin/hook", args: [], env: [], timeout: 0 } as const satisfies Op;

describe("encodePlan", () => {
  test("round-trips a plan with every op kind and every namespace feature", () => {
    const plan = fullPlan();
    expect(normalize(decode(encodePlan(plan)))).toEqual(normalize(plan));
  });

  test("covers every op kind", () => {
    expect(new Set<string>(EVERY_OP.map((o) => o.op))).toEqual(new Set(Object.keys(OP_KINDS)));
  });

  test("round-trips the minimal plan; header is magic, version, containerId", () => {
    const bytes = encodePlan(minimalPlan());
    expect([...bytes.slice(0, 8)]).toEqual([0x4f, 0x43, 0x49, 0x50, 2, 0, 0, 0]);
    expect([...bytes.slice(8, 13)]).toEqual([1, 0, 0, 0, "m".charCodeAt(0)]);
    expect(decode(bytes)).toEqual(minimalPlan());
  });

  test("numbers are little-endian fixed width; strings are u32 length + UTF-8", () => {
    const bytes = encodePlan({ ...minimalPlan(), ops: [{ op: "oom-score-adj", value: -2 }, { op: "sethostname", name: "ü" }] });
    const at = bytes.length - (4 + 4 + "/bin/true".length + 4 + 4 + 1 + 4); // before process
    const ops = bytes.slice(at - (2 + 4 + 4 + 2 + 4 + 4 + 2), at);
    expect([...ops]).toEqual([16, 0, 4, 0, 0, 0, 0xfe, 0xff, 0xff, 0xff, 1, 0, 6, 0, 0, 0, 2, 0, 0, 0, 0xc3, 0xbc]);
  });

  test("new op kinds and startHooks have the documented payloads", () => {
    const hook = { op: "hook", name: "startContainer", index: 3, path: "/h", args: ["a"], env: [], timeout: 5 } as const;
    const bytes = encodePlan({ ...minimalPlan(), ops: [{ op: "sync", point: "createRuntime" }, { op: "console", rows: 0x102, cols: 80, mountConsole: true }], process: { ...minimalPlan().process, startHooks: [hook] } });
    const r = new Reader(bytes);
    r.pos = 8 + 4 + 1 + 1 + 4 + 4 + 4 + 1 + 1; // header, containerId "m", stage0, cgroupProcs, joins, create, hasIdMaps, hasTime
    expect(r.u32()).toBe(2);
    expect([r.u16(), r.u32(), r.u8()]).toEqual([28, 1, 0]);
    expect([r.u16(), r.u32(), r.u16(), r.u16(), r.u8()]).toEqual([30, 5, 0x102, 80, 1]);
    r.strs(), r.strs(), r.u32(), r.bool(); // process
    expect(r.u32()).toBe(1);
    const hookPayload = 1 + 4 + (4 + 2) + (4 + 4 + 1) + 4 + 4;
    expect([r.u16(), r.u32(), r.u8(), r.u32(), r.str(), r.strs(), r.strs(), r.u32()]).toEqual([29, hookPayload, 1, 3, "/h", ["a"], [], 5]);
    expect(r.end()).toBe(true);
  });

  test("framePlan prefixes the u32 LE length", () => {
    const body = encodePlan(minimalPlan());
    const framed = framePlan(minimalPlan());
    expect(new DataView(framed.buffer).getUint32(0, true)).toBe(body.length);
    expect([...framed.slice(4)]).toEqual([...body]);
  });

  const bad: [string, (p: Plan) => Plan, RegExp][] = [
    ["NUL in a string", (p) => ({ ...p, ops: [{ op: "mkdir", path: "/a\0b", mode: 0o755 }] }), /ops\[0\]\.path: contains a NUL byte/],
    ["NUL in an arg", (p) => ({ ...p, process: { ...p.process, args: ["sh", "x\0"] } }), /process\.args\[1\]: contains a NUL/],
    ["empty args", (p) => ({ ...p, process: { ...p.process, args: [] } }), /process\.args: must not be empty/],
    ["negative u32", (p) => ({ ...p, ops: [{ op: "umask", mask: -1 }] }), /ops\[0\]\.mask: expected an integer in 0\.\.4294967295/],
    ["fractional number", (p) => ({ ...p, ops: [{ op: "mkdir", path: "/a", mode: 1.5 }] }), /ops\[0\]\.mode/],
    ["i32 overflow", (p) => ({ ...p, ops: [{ op: "oom-score-adj", value: 2 ** 31 }] }), /ops\[0\]\.value/],
    ["u64 out of range", (p) => ({ ...p, ops: [{ op: "rlimit", resource: 7, name: "X", soft: -1n, hard: 1n }] }), /ops\[0\]\.soft: expected a bigint/],
    ["u64 too large", (p) => ({ ...p, ops: [{ op: "rlimit", resource: 7, name: "X", soft: 1n, hard: 1n << 64n }] }), /ops\[0\]\.hard/],
    ["number where bigint expected", (p) => ({ ...p, ops: [{ op: "rlimit", resource: 7, name: "X", soft: 1 as unknown as bigint, hard: 1n }] }), /ops\[0\]\.soft/],
    ["unknown namespace", (p) => ({ ...p, namespaces: { join: [], create: ["bogus" as never] } }), /namespaces\.create\[0\]: unknown namespace type/],
    ["unknown op", (p) => ({ ...p, ops: [{ op: "format-disk" } as unknown as Op] }), /ops\[0\]\.op: unknown op/],
    ["bad mount create", (p) => ({ ...p, ops: [{ op: "mount", source: "", target: "/", fstype: "", flags: 0, data: "", create: "sock" as never }] }), /ops\[0\]\.create/],
    ["bad mknod kind", (p) => ({ ...p, ops: [{ op: "mknod", path: "/x", kind: "s" as never, major: 0, minor: 0, mode: 0, uid: 0, gid: 0 }] }), /ops\[0\]\.kind/],
    ["seccomp filter not in 8-byte units", (p) => ({ ...p, ops: [{ op: "seccomp", filter: new Uint8Array(7), flags: 0 }] }), /ops\[0\]\.filter: length 7/],
    ["empty seccomp filter", (p) => ({ ...p, ops: [{ op: "seccomp", filter: new Uint8Array(0), flags: 0 }] }), /ops\[0\]\.filter/],
    ["nanoseconds >= 1e9", (p) => ({ ...p, namespaces: { join: [], create: ["time"], timeOffsets: { boottime: { secs: 0, nanosecs: 1e9 } } } }), /boottime\.nanosecs/],
    ["bad stage0", (p) => ({ ...p, stage0: "fork" as never }), /stage0/],
    ["bad version", (p) => ({ ...p, version: 2 as never }), /version/],
    ["too many joins", (p) => ({ ...p, namespaces: { join: Array(17).fill({ type: "ipc", path: "/x" }), create: [] } }), /namespaces\.join: more than 16/],
    ["unknown sync point", (p) => ({ ...p, ops: [{ op: "sync", point: "prestart" as never }] }), /ops\[0\]\.point: expected "createRuntime"/],
    ["unknown hook list", (p) => ({ ...p, ops: [{ ...HOOK, name: "poststop" as never }] }), /ops\[0\]\.name/],
    ["relative hook path", (p) => ({ ...p, ops: [{ ...HOOK, path: "bin/hook" }] }), /ops\[0\]\.path: must be absolute/],
    ["fractional hook timeout", (p) => ({ ...p, ops: [{ ...HOOK, timeout: 1.5 }] }), /ops\[0\]\.timeout/],
    ["NUL in a hook env entry", (p) => ({ ...p, ops: [{ ...HOOK, env: ["A=\0"] }] }), /ops\[0\]\.env\[0\]: contains a NUL/],
    ["console rows over 65535", (p) => ({ ...p, ops: [{ op: "console", rows: 65536, cols: 80, mountConsole: false }] }), /ops\[0\]\.rows/],
    ["home-from-passwd uid past u32", (p) => ({ ...p, ops: [{ op: "home-from-passwd", uid: 2 ** 32, startHooks: [] }] }), /ops\[0\]\.uid/],
    ["home-from-passwd naming a start hook that is not there", (p) => ({ ...p, ops: [{ op: "home-from-passwd", uid: 0, startHooks: [0] }] }), /ops\[0\]\.startHooks\[0\]: no process\.startHooks\[0\]/],
    ["console mountConsole not a boolean", (p) => ({ ...p, ops: [{ op: "console", rows: 1, cols: 1, mountConsole: 1 as never }] }), /ops\[0\]\.mountConsole/],
    ["a createContainer hook in startHooks", (p) => ({ ...p, process: { ...p.process, startHooks: [HOOK] } }), /process\.startHooks\[0\]: expected a "hook" op named "startContainer"/],
    ["a non-hook op in startHooks", (p) => ({ ...p, process: { ...p.process, startHooks: [{ op: "no-new-privs" } as never] } }), /process\.startHooks\[0\]/],
    ["string over 1 MiB", (p) => ({ ...p, containerId: "x".repeat((1 << 20) + 1) }), /containerId: longer than/],
  ];
  for (const [name, edit, message] of bad) {
    test(`refuses ${name}`, () => {
      let err: unknown;
      try {
        encodePlan(edit(minimalPlan()));
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(PlanEncodeError);
      expect((err as Error).message).toMatch(message);
      expect((err as Error).message).toStartWith("cannot encode plan: ");
    });
  }
});
