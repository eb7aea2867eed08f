/**
 * /dev set-up: the default device nodes, linux.devices, /dev/ptmx and the
 * /dev/fd, /dev/std* links — runc's createDevices, setupPtmx and
 * setupDevSymlinks, in that order.
 *
 * - The defaults are runc's AllowedDevices with a path: /dev/null, random,
 *   full, tty, zero, urandom (all c, 0666, root:root). A linux.devices entry
 *   with the same path replaces the default (the spec's takes priority).
 * - /dev/ptmx is never a node: it is the link pts/ptmx into the container's
 *   own devpts instance.
 * - Inside a user namespace mknod(2) is denied, so each device is a bind
 *   mount of the host's node of the same path onto an empty file (runc does
 *   the same when a user namespace is in use or it runs in one).
 */
import { posix } from "node:path";
import { PlanError, type Op } from "@oci-tools/plan";
import type { MountSpecDevice } from "./spec-like.ts";

export interface DeviceNode {
  readonly path: string;
  readonly kind: "c" | "b" | "p";
  readonly major: number;
  readonly minor: number;
  /** Permission bits only. */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
}

export const DEFAULT_DEVICES: readonly DeviceNode[] = [
  { path: "/dev/null", kind: "c", major: 1, minor: 3, mode: 0o666, uid: 0, gid: 0 },
  { path: "/dev/random", kind: "c", major: 1, minor: 8, mode: 0o666, uid: 0, gid: 0 },
  { path: "/dev/full", kind: "c", major: 1, minor: 7, mode: 0o666, uid: 0, gid: 0 },
  { path: "/dev/tty", kind: "c", major: 5, minor: 0, mode: 0o666, uid: 0, gid: 0 },
  { path: "/dev/zero", kind: "c", major: 1, minor: 5, mode: 0o666, uid: 0, gid: 0 },
  { path: "/dev/urandom", kind: "c", major: 1, minor: 9, mode: 0o666, uid: 0, gid: 0 },
];

/** Links made in /dev after the nodes: [target, linkpath]. /dev/core only when the host has /proc/kcore (runc). */
export function devLinks(procKcore: boolean): [string, string][] {
  const links: [string, string][] = [
    ["/proc/self/fd", "/dev/fd"],
    ["/proc/self/fd/0", "/dev/stdin"],
    ["/proc/self/fd/1", "/dev/stdout"],
    ["/proc/self/fd/2", "/dev/stderr"],
  ];
  if (procKcore) links.push(["/proc/kcore", "/dev/core"]);
  return links;
}

const S_IFMT = 0o170000;

function checkId(field: string, v: number | undefined): number {
  if (v === undefined) return 0;
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new PlanError(field, `must be an integer in 0..4294967295, got ${String(v)}`);
  return v;
}

/** A linux.devices entry → DeviceNode, validated like runc (type c/u/b/p; fileMode defaults to 0666, file type bits dropped). */
export function specDevice(d: MountSpecDevice, field: string): DeviceNode {
  let kind: DeviceNode["kind"];
  switch (d.type) {
    case "c":
    case "u": // unbuffered character device: a character device to mknod
      kind = "c";
      break;
    case "b":
      kind = "b";
      break;
    case "p":
      kind = "p";
      break;
    default:
      throw new PlanError(`${field}.type`, `invalid device type "${d.type}" (one of c, u, b, p)`);
  }
  if (typeof d.path !== "string" || !d.path.startsWith("/")) throw new PlanError(`${field}.path`, `must be an absolute path, got "${String(d.path)}"`);
  const path = posix.normalize(d.path);
  if (path === "/" || d.path.split("/").includes("..")) throw new PlanError(`${field}.path`, `"${d.path}" is not a device path`);
  let major = 0;
  let minor = 0;
  if (kind !== "p") {
    for (const key of ["major", "minor"] as const) {
      const v = d[key];
      if (v === undefined) throw new PlanError(`${field}.${key}`, `is required for a "${d.type}" device`);
      if (!Number.isInteger(v) || v < 0 || v > (key === "major" ? 0xfff : 0xfffff)) throw new PlanError(`${field}.${key}`, `out of range: ${v}`);
    }
    major = d.major!;
    minor = d.minor!;
  }
  const fileMode = d.fileMode ?? 0o666;
  if (!Number.isInteger(fileMode) || fileMode < 0) throw new PlanError(`${field}.fileMode`, `must be a non-negative integer, got ${String(fileMode)}`);
  return { path, kind, major, minor, mode: fileMode & ~S_IFMT & 0o7777, uid: checkId(`${field}.uid`, d.uid), gid: checkId(`${field}.gid`, d.gid) };
}

/** The full device list: defaults not overridden by the spec, then the spec's devices, in order. */
export function deviceList(specDevices: readonly MountSpecDevice[]): DeviceNode[] {
  const fromSpec = specDevices.map((d, i) => specDevice(d, `linux.devices[${i}]`));
  const seen = new Set<string>();
  fromSpec.forEach((d, i) => {
    if (seen.has(d.path)) throw new PlanError(`linux.devices[${i}].path`, `device ${d.path} is listed twice`);
    seen.add(d.path);
  });
  return [...DEFAULT_DEVICES.filter((d) => !seen.has(d.path)), ...fromSpec];
}

export interface DevSetup {
  readonly devices: readonly DeviceNode[];
  /** Bind host nodes instead of mknod (user namespace). */
  readonly bindDevices: boolean;
  readonly procKcore: boolean;
}

/** Ops that populate /dev (in rootfs, before pivot). */
export function devOps(setup: DevSetup): Op[] {
  const ops: Op[] = [];
  const madeDirs = new Set<string>();
  for (const d of setup.devices) {
    if (d.path === "/dev/ptmx") continue; // always the pts/ptmx link below
    const dir = posix.dirname(d.path);
    if (!madeDirs.has(dir)) {
      madeDirs.add(dir);
      ops.push({ op: "mkdir", path: dir, mode: 0o755 });
    }
    if (setup.bindDevices) ops.push({ op: "bind-device", source: d.path, path: d.path });
    else ops.push({ op: "mknod", path: d.path, kind: d.kind, major: d.major, minor: d.minor, mode: d.mode, uid: d.uid, gid: d.gid });
  }
  ops.push({ op: "symlink", target: "pts/ptmx", linkpath: "/dev/ptmx" });
  for (const [target, linkpath] of devLinks(setup.procKcore)) ops.push({ op: "symlink", target, linkpath });
  return ops;
}
