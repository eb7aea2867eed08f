/**
 * A `"type": "cgroup"` mount, expanded the way runc does it. The host's
 * layout is an input (the caller reads /proc/self/mountinfo and knows the
 * container's cgroup path), so this stays pure.
 *
 * cgroup v1 (runc's mountCgroupV1): a tmpfs (nosuid,nodev,noexec, mode=755)
 * at the destination, then per host hierarchy a directory named after the
 * host mount point's basename ("cpu,cpuacct", "memory", "systemd"):
 *   - with a new cgroup namespace, a fresh cgroup mount of that hierarchy
 *     (data = the controllers, "name=systemd" for systemd);
 *   - otherwise an rbind of the container's own cgroup directory on the host,
 *     with the mount's flags applied by a bind remount.
 * Then links for co-mounted controllers ("cpu" → "cpu,cpuacct"). The tmpfs
 * itself stays writable even for a ro mount, as with runc 1.1 (compared on
 * this host: mountinfo shows /sys/fs/cgroup rw,nosuid,nodev,noexec under both).
 *
 * cgroup v2 (runc's mountCgroupV2): a cgroup2 mount; inside a user namespace
 * without a cgroup namespace the kernel refuses that (EPERM), so it becomes a
 * bind of the host's cgroup2 mount point instead (runc falls back the same way
 * after the EPERM).
 */
import { posix } from "node:path";
import { PlanError, type Op } from "@oci-tools/plan";
import { MS } from "./flags.ts";

export interface CgroupV1Hierarchy {
  /** Host mount point, e.g. /sys/fs/cgroup/cpu,cpuacct. */
  readonly mountpoint: string;
  /** The mount's root inside the hierarchy (mountinfo field 4), usually "/". */
  readonly root: string;
  /** The container's cgroup in this hierarchy, as in /proc/<pid>/cgroup. */
  readonly path: string;
}

export type CgroupLayout =
  | { readonly version: 1; readonly hierarchies: readonly CgroupV1Hierarchy[] }
  | { readonly version: 2; readonly mountpoint: string };

export interface CgroupMountInput {
  readonly field: string;
  readonly destination: string;
  readonly source: string;
  /** Parsed flags of the spec mount (ro, nosuid, …). */
  readonly flags: number;
  readonly data: string;
  readonly propagation?: number;
  readonly layout: CgroupLayout;
  readonly cgroupns: boolean;
  readonly inUserNs: boolean;
}

/** nosuid|nodev|noexec: runc's defaultMountFlags for the cgroup tmpfs and per-hierarchy mounts. */
const DEFAULT_FLAGS = MS.NOEXEC | MS.NOSUID | MS.NODEV;

function withPropagation(propagation: number | undefined): { propagation?: number } {
  return propagation === undefined ? {} : { propagation };
}

function cgroupV1Ops(input: CgroupMountInput, hierarchies: readonly CgroupV1Hierarchy[]): Op[] {
  const { destination, flags, propagation } = input;
  const ops: Op[] = [
    { op: "mount", source: "tmpfs", target: destination, fstype: "tmpfs", flags: DEFAULT_FLAGS, data: "mode=755", create: "dir", ...withPropagation(propagation) },
  ];
  const merged: string[] = [];
  hierarchies.forEach((h, i) => {
    const field = `cgroupLayout.hierarchies[${i}]`;
    if (!h.mountpoint.startsWith("/") || !h.path.startsWith("/") || !h.root.startsWith("/")) {
      throw new PlanError(field, "mountpoint, root and path must be absolute");
    }
    const name = posix.basename(h.mountpoint);
    if (name === "" || name === "." || name === "..") throw new PlanError(`${field}.mountpoint`, `"${h.mountpoint}" has no usable basename`);
    if (name.includes(",")) merged.push(name);
    const target = posix.join(destination, name);
    if (input.cgroupns) {
      const data = name === "systemd" ? "name=systemd" : name;
      ops.push({
        op: "mount",
        source: name === "systemd" ? "systemd" : "cgroup",
        target,
        fstype: "cgroup",
        flags: DEFAULT_FLAGS | (flags & MS.RDONLY),
        data,
        create: "dir",
        ...withPropagation(propagation),
      });
    } else {
      const rel = posix.relative(h.root, h.path);
      if (rel.startsWith("..")) throw new PlanError(`${field}.path`, `the container's cgroup ${h.path} is outside the mount's root ${h.root}`);
      const other = flags & ~(MS.BIND | MS.REC | MS.REMOUNT);
      ops.push({
        op: "mount",
        source: posix.join(h.mountpoint, rel),
        target,
        fstype: "bind",
        flags: MS.BIND | MS.REC,
        data: "",
        create: "dir",
        ...(other !== 0 ? { remountFlags: MS.BIND | MS.REMOUNT | other } : {}),
        ...withPropagation(propagation),
      });
    }
  });
  for (const name of merged) {
    for (const controller of name.split(",")) {
      ops.push({ op: "symlink", target: name, linkpath: posix.join(destination, controller) });
    }
  }
  return ops;
}

function cgroupV2Ops(input: CgroupMountInput, mountpoint: string): Op[] {
  const { destination, flags, propagation } = input;
  if (input.inUserNs && !input.cgroupns) {
    const other = flags & ~(MS.BIND | MS.REC | MS.REMOUNT);
    return [
      {
        op: "mount",
        source: mountpoint,
        target: destination,
        fstype: "bind",
        flags: MS.BIND,
        data: "",
        create: "dir",
        ...(other !== 0 ? { remountFlags: MS.BIND | MS.REMOUNT | other } : {}),
        ...withPropagation(propagation),
      },
    ];
  }
  return [
    { op: "mount", source: input.source || "cgroup", target: destination, fstype: "cgroup2", flags, data: input.data, create: "dir", ...withPropagation(propagation) },
  ];
}

export function cgroupMountOps(input: CgroupMountInput): Op[] {
  const layout = input.layout;
  if (layout.version === 1) return cgroupV1Ops(input, layout.hierarchies);
  if (!layout.mountpoint.startsWith("/")) throw new PlanError("cgroupLayout.mountpoint", "must be absolute");
  return cgroupV2Ops(input, layout.mountpoint);
}
