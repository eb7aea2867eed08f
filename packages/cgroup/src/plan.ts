/**
 * Pure planning: layout + own cgroups + cgroupsPath → the directories a
 * container's cgroup consists of, and the limits to write. No I/O here.
 */
import { hierarchyKey, type CgroupLayout } from "./layout.ts";
import { joinCgroup, resolveCgroupPath, type CgroupPath } from "./path.ts";

export interface CgroupDir {
  /** "unified" for v2, else the v1 controllers of the hierarchy ("name=systemd" included). */
  readonly controllers: readonly string[];
  readonly path: string;
}

export interface LimitWrite {
  readonly file: string;
  readonly value: string;
}

/** What the container's cgroup is, serialisable into the state file. */
export interface CgroupPlan {
  readonly version: "v1" | "v2";
  readonly path: CgroupPath;
  /** Every directory (one per hierarchy), in creation order. */
  readonly dirs: readonly CgroupDir[];
  /** The freezer: v1 freezer hierarchy dir (freezer.state) or the v2 dir (cgroup.freeze); absent if none. */
  readonly freezer?: { readonly kind: "v1" | "v2"; readonly dir: string };
  readonly limits: readonly LimitWrite[];
}

/** The subset of runtime-spec linux.resources this issue applies (the rest has its own issue). */
export interface SimpleResources {
  readonly pids?: { readonly limit?: number };
  readonly memory?: { readonly limit?: number };
}

export interface PlanInput {
  readonly layout: CgroupLayout;
  /** parseProcCgroup of the runtime's own /proc/self/cgroup. */
  readonly own: ReadonlyMap<string, string>;
  readonly id: string;
  readonly cgroupsPath?: string | undefined;
  readonly systemd?: boolean;
  readonly resources?: SimpleResources | undefined;
}

export function planCgroup(i: PlanInput): CgroupPlan {
  const path = resolveCgroupPath({ cgroupsPath: i.cgroupsPath, id: i.id, systemd: i.systemd ?? false });
  const limits: LimitWrite[] = [];
  const pidsLimit = i.resources?.pids?.limit;
  const memLimit = i.resources?.memory?.limit;
  if (i.layout.kind === "v2") {
    const dir = joinCgroup(i.layout.mountpoint, i.layout.root, i.own.get("") ?? "/", path);
    if (pidsLimit !== undefined) limits.push({ file: `${dir}/pids.max`, value: pidsLimit <= 0 ? "max" : String(pidsLimit) });
    if (memLimit !== undefined) limits.push({ file: `${dir}/memory.max`, value: memLimit < 0 ? "max" : String(memLimit) });
    return { version: "v2", path, dirs: [{ controllers: ["unified"], path: dir }], freezer: { kind: "v2", dir }, limits };
  }
  const dirs: CgroupDir[] = [];
  let freezer: CgroupPlan["freezer"];
  for (const h of i.layout.hierarchies) {
    const own = i.own.get(hierarchyKey(h)) ?? "/";
    const dir = joinCgroup(h.mountpoint, h.root, own, path);
    dirs.push({ controllers: h.controllers, path: dir });
    if (h.controllers.includes("freezer")) freezer = { kind: "v1", dir };
    if (h.controllers.includes("pids") && pidsLimit !== undefined) {
      limits.push({ file: `${dir}/pids.max`, value: pidsLimit <= 0 ? "max" : String(pidsLimit) });
    }
    if (h.controllers.includes("memory") && memLimit !== undefined) {
      limits.push({ file: `${dir}/memory.limit_in_bytes`, value: String(memLimit < 0 ? -1 : memLimit) });
    }
  }
  // Hybrid: also join the (controller-less) unified hierarchy, as runc does, so
  // tools that look at cgroup2 (systemd) see the container's processes there.
  if (i.layout.kind === "hybrid") {
    dirs.push({ controllers: ["unified"], path: joinCgroup(i.layout.unified, "/", i.own.get("") ?? "/", path) });
  }
  return freezer ? { version: "v1", path, dirs, freezer, limits } : { version: "v1", path, dirs, limits };
}

/** The cgroup.procs files stage 0 of oci-init writes its pid into (Plan.cgroupProcs). */
export function cgroupProcsFiles(p: CgroupPlan): string[] {
  return p.dirs.map((d) => `${d.path}/cgroup.procs`);
}
