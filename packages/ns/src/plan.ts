/**
 * planNamespaces: linux.namespaces, uid/gid mappings and time offsets → NamespacePlan.
 *
 * Policy (follows runc where the spec is silent):
 * - A namespace with a `path` is joined (open + setns in stage 0), one without
 *   is created (clone flags). Joins and creations are listed in runc's fixed
 *   order: user, ipc, uts, network, pid, mount, cgroup, time. The user
 *   namespace comes first so the joiner holds capabilities over the others it
 *   then joins; the mount namespace comes late because after setns(mnt) later
 *   paths would be resolved in the joined mount namespace.
 * - uid/gid mappings are only meaningful with a *new* user namespace: given
 *   without any user namespace they are an error (runc: "User namespace
 *   mappings specified, but USER namespace isn't enabled in the config"); with
 *   a joined one they are ignored (its owner fixed them); a new user namespace
 *   without both mappings is an error (runc: "user namespaces enabled, but no
 *   uid/gid mappings found") unless running rootless, where the caller's own
 *   uid/gid become root (crun's behaviour for `crun spec --rootless`).
 * - setgroups is "deny" exactly when the runtime runs rootless (runc's
 *   nsexec writes deny when is_rootless_euid and no newgidmap helper): an
 *   unprivileged writer may only write gid_map after denying setgroups(2), and
 *   may only map its own uid/gid — checked here so the error is clear rather
 *   than an EPERM from /proc/<pid>/gid_map.
 * - time offsets need a new time namespace; joining one by path with offsets
 *   is an error (its offsets are fixed once a process entered it).
 */
import { PlanError, type IdMapping, type NamespaceJoin, type NamespacePlan, type NamespaceType, type TimeOffset } from "@oci-tools/plan";
import type { NsSpec, NsSpecIdMapping } from "./spec-like.ts";

/** runc's join/create order (configs.NamespaceTypes), time last. */
export const NAMESPACE_ORDER: readonly NamespaceType[] = ["user", "ipc", "uts", "network", "pid", "mount", "cgroup", "time"];

/** The kernel accepts at most this many lines in uid_map/gid_map (since 4.15). */
export const MAX_ID_MAP_LINES = 340;

const UINT32_MAX = 0xffffffff;
const TIME_CLOCKS = ["monotonic", "boottime"] as const;

export interface NamespaceOptions {
  /**
   * Set when the runtime runs without root (its effective ids): setgroups is
   * denied and each mapping must be the single line mapping these ids.
   */
  readonly rootless?: { readonly euid: number; readonly egid: number };
}

function isNamespaceType(t: string): t is NamespaceType {
  return (NAMESPACE_ORDER as readonly string[]).includes(t);
}

function checkMappings(field: string, maps: readonly NsSpecIdMapping[]): IdMapping[] {
  if (maps.length === 0) throw new PlanError(field, "a new user namespace needs at least one mapping");
  if (maps.length > MAX_ID_MAP_LINES) throw new PlanError(field, `${maps.length} mappings; the kernel accepts at most ${MAX_ID_MAP_LINES}`);
  const out = maps.map((m, i) => {
    for (const key of ["containerID", "hostID", "size"] as const) {
      const v = m[key];
      if (!Number.isInteger(v) || v < 0 || v > UINT32_MAX) {
        throw new PlanError(`${field}[${i}].${key}`, `must be an integer in 0..${UINT32_MAX}, got ${String(v)}`);
      }
    }
    if (m.size === 0) throw new PlanError(`${field}[${i}].size`, "must be at least 1");
    if (m.containerID + m.size - 1 > UINT32_MAX || m.hostID + m.size - 1 > UINT32_MAX) {
      throw new PlanError(`${field}[${i}]`, "range runs past 4294967295");
    }
    return { containerID: m.containerID, hostID: m.hostID, size: m.size };
  });
  // The kernel rejects overlapping ranges on either side (EINVAL from the map write).
  for (const side of ["containerID", "hostID"] as const) {
    const sorted = out.map((m, i) => ({ m, i })).sort((a, b) => a.m[side] - b.m[side]);
    for (let k = 1; k < sorted.length; k++) {
      const prev = sorted[k - 1]!;
      const cur = sorted[k]!;
      if (prev.m[side] + prev.m.size > cur.m[side]) {
        throw new PlanError(field, `mappings ${prev.i} and ${cur.i} overlap in ${side}`);
      }
    }
  }
  return out;
}

function checkRootlessMapping(field: string, maps: readonly IdMapping[], ownId: number, what: string): void {
  const only = maps[0];
  if (maps.length !== 1 || only === undefined || only.size !== 1 || only.hostID !== ownId) {
    throw new PlanError(
      field,
      `running rootless, the only possible mapping is your own ${what} (a single line with hostID ${ownId} and size 1); wider maps need newuidmap/newgidmap`,
    );
  }
}

function planTimeOffsets(spec: NsSpec): { monotonic?: TimeOffset; boottime?: TimeOffset } | undefined {
  const offsets = spec.linux?.timeOffsets;
  if (offsets === undefined) return undefined;
  const result: { monotonic?: TimeOffset; boottime?: TimeOffset } = {};
  for (const [clock, value] of Object.entries(offsets)) {
    if (value === undefined) continue;
    const field = `linux.timeOffsets.${clock}`;
    if (!(TIME_CLOCKS as readonly string[]).includes(clock)) {
      throw new PlanError(field, `unknown clock; a time namespace offsets only ${TIME_CLOCKS.join(" and ")}`);
    }
    const secs = value.secs ?? 0;
    const nanosecs = value.nanosecs ?? 0;
    if (!Number.isSafeInteger(secs)) throw new PlanError(`${field}.secs`, `must be an integer, got ${String(secs)}`);
    if (!Number.isInteger(nanosecs) || nanosecs < 0 || nanosecs >= 1_000_000_000) {
      throw new PlanError(`${field}.nanosecs`, `must be an integer in 0..999999999, got ${String(nanosecs)}`);
    }
    result[clock as (typeof TIME_CLOCKS)[number]] = { secs, nanosecs };
  }
  return result;
}

export function planNamespaces(spec: NsSpec, options: NamespaceOptions = {}): NamespacePlan {
  const seen = new Map<NamespaceType, { path?: string }>();
  (spec.linux?.namespaces ?? []).forEach((ns, i) => {
    const field = `linux.namespaces[${i}]`;
    if (!isNamespaceType(ns.type)) {
      throw new PlanError(`${field}.type`, `unknown namespace type "${ns.type}" (one of ${NAMESPACE_ORDER.join(", ")})`);
    }
    if (seen.has(ns.type)) throw new PlanError(field, `namespace "${ns.type}" is listed twice`);
    if (ns.path !== undefined && ns.path !== "") {
      if (!ns.path.startsWith("/")) throw new PlanError(`${field}.path`, `must be an absolute path, got "${ns.path}"`);
      if (ns.path.includes("\0")) throw new PlanError(`${field}.path`, "must not contain a NUL byte");
      seen.set(ns.type, { path: ns.path });
    } else {
      seen.set(ns.type, {});
    }
  });

  const join: NamespaceJoin[] = [];
  const create: NamespaceType[] = [];
  for (const type of NAMESPACE_ORDER) {
    const entry = seen.get(type);
    if (entry === undefined) continue;
    if (entry.path !== undefined) join.push({ type, path: entry.path });
    else create.push(type);
  }

  const uidMappings = spec.linux?.uidMappings;
  const gidMappings = spec.linux?.gidMappings;
  const hasMappings = (uidMappings?.length ?? 0) > 0 || (gidMappings?.length ?? 0) > 0;
  const user = seen.get("user");
  if (user === undefined && hasMappings) {
    throw new PlanError("linux.uidMappings", "uid/gid mappings are given but linux.namespaces has no \"user\" namespace");
  }
  let idMappings: NamespacePlan["idMappings"];
  if (create.includes("user")) {
    // Rootless without mappings (as `crun spec --rootless` writes): map the
    // caller's own ids to root, like crun. With root, runc's rule: mappings required.
    const own = options.rootless;
    const uidGiven = (uidMappings?.length ?? 0) > 0;
    const gidGiven = (gidMappings?.length ?? 0) > 0;
    if (!uidGiven && !own) throw new PlanError("linux.uidMappings", "a new user namespace needs uid mappings");
    if (!gidGiven && !own) throw new PlanError("linux.gidMappings", "a new user namespace needs gid mappings");
    const uid = checkMappings("linux.uidMappings", uidGiven ? uidMappings! : [{ containerID: 0, hostID: own!.euid, size: 1 }]);
    const gid = checkMappings("linux.gidMappings", gidGiven ? gidMappings! : [{ containerID: 0, hostID: own!.egid, size: 1 }]);
    if (options.rootless) {
      checkRootlessMapping("linux.uidMappings", uid, options.rootless.euid, "uid");
      checkRootlessMapping("linux.gidMappings", gid, options.rootless.egid, "gid");
    }
    idMappings = { uid, gid, setgroups: options.rootless ? "deny" : "allow" };
  }

  const timeOffsets = planTimeOffsets(spec);
  const time = seen.get("time");
  if (timeOffsets !== undefined && Object.keys(timeOffsets).length > 0) {
    if (time === undefined) throw new PlanError("linux.timeOffsets", "time offsets are given but linux.namespaces has no \"time\" namespace");
    if (time.path !== undefined) {
      throw new PlanError("linux.timeOffsets", `time offsets cannot be set when joining the existing time namespace ${time.path}`);
    }
  }

  return {
    join,
    create,
    ...(idMappings ? { idMappings } : {}),
    ...(create.includes("time") && timeOffsets !== undefined && Object.keys(timeOffsets).length > 0 ? { timeOffsets } : {}),
  };
}

/** Does the plan put the container in a namespace of this type (new or joined)? */
export function hasNamespace(plan: NamespacePlan, type: NamespaceType): boolean {
  return plan.create.includes(type) || plan.join.some((j) => j.type === type);
}
