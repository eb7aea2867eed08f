/**
 * Facts about the host the rootfs planner takes as inputs, read here (I/O)
 * so the planner stays pure. Used by the oci-mount CLI; oci-run may use them too.
 */
import { existsSync, readFileSync, realpathSync, statSync } from "node:fs";
import type { NamespacePlan } from "@oci-tools/plan";
import type { CgroupLayout, CgroupV1Hierarchy } from "./cgroup.ts";

function realpathOr(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path; // bind-rootfs reports the missing rootfs
  }
}

/** Unescape mountinfo's octal escapes (\040 for a space, …). */
function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(Number.parseInt(oct, 8)));
}

interface MountinfoCgroup {
  readonly root: string;
  readonly mountpoint: string;
  readonly fstype: string;
  readonly superOptions: readonly string[];
}

export function parseMountinfoCgroups(mountinfo: string): MountinfoCgroup[] {
  const out: MountinfoCgroup[] = [];
  for (const line of mountinfo.split("\n")) {
    const sep = line.indexOf(" - ");
    if (sep < 0) continue;
    const pre = line.slice(0, sep).split(" ");
    const post = line.slice(sep + 3).split(" ");
    const fstype = post[0] ?? "";
    if (fstype !== "cgroup" && fstype !== "cgroup2") continue;
    out.push({ root: unescape(pre[3] ?? "/"), mountpoint: unescape(pre[4] ?? ""), fstype, superOptions: (post[2] ?? "").split(",") });
  }
  return out;
}

/**
 * The cgroup layout as a process with this /proc/self/cgroup sees it: on a v1
 * (or hybrid) host every v1 hierarchy with the process's own cgroup in it; on
 * a pure v2 host the cgroup2 mount point. `mountinfo`/`procCgroup` are the
 * texts of /proc/self/mountinfo and /proc/<pid>/cgroup.
 */
export function cgroupLayoutFrom(mountinfo: string, procCgroup: string): CgroupLayout | undefined {
  const mounts = parseMountinfoCgroups(mountinfo);
  const v1 = mounts.filter((m) => m.fstype === "cgroup");
  if (v1.length === 0) {
    const v2 = mounts.find((m) => m.fstype === "cgroup2");
    return v2 ? { version: 2, mountpoint: v2.mountpoint } : undefined;
  }
  const own = procCgroup
    .split("\n")
    .map((l) => l.split(":"))
    .filter((p) => p.length >= 3 && p[1] !== "")
    .map((p) => ({ controllers: p[1]!.split(","), path: p.slice(2).join(":") }));
  const hierarchies: CgroupV1Hierarchy[] = [];
  const seen = new Set<string>();
  for (const m of v1) {
    const entry = own.find((o) => o.controllers.every((c) => m.superOptions.includes(c)));
    if (!entry) continue;
    const key = entry.controllers.join(",");
    if (seen.has(key)) continue; // one mount per hierarchy, the first (runc's GetCgroupMounts)
    seen.add(key);
    hierarchies.push({ mountpoint: m.mountpoint, root: m.root, path: entry.path });
  }
  return { version: 1, hierarchies };
}

/**
 * The mount point holding `path` (the longest mount point that is `path` or
 * a parent of it; the last one mounted there wins) and whether it is shared
 * (mountinfo's optional "shared:N" field) — runc's getParentMount.
 */
export function parentMountFrom(mountinfo: string, path: string): { path: string; shared: boolean } | undefined {
  let best: { path: string; shared: boolean } | undefined;
  for (const line of mountinfo.split("\n")) {
    const sep = line.indexOf(" - ");
    if (sep < 0) continue;
    const pre = line.slice(0, sep).split(" ");
    const mountpoint = unescape(pre[4] ?? "");
    const inside = mountpoint === "/" || path === mountpoint || path.startsWith(`${mountpoint}/`);
    if (!inside || (best && mountpoint.length < best.path.length)) continue;
    best = { path: mountpoint, shared: pre.slice(6).some((f) => f.startsWith("shared:")) };
  }
  return best;
}

/** Is this process inside a user namespace (uid_map not the identity over the whole range)? runc's RunningInUserNS. */
export function runningInUserNs(uidMap: string = readFileSync("/proc/self/uid_map", "utf8")): boolean {
  return uidMap.trim().split(/\s+/).join(" ") !== "0 0 4294967295";
}

/** Does the namespace plan join the host's own network namespace by path (runc's isHostNetNS)? */
export function joinedNetnsIsHost(namespaces: NamespacePlan): boolean {
  const net = namespaces.join.find((j) => j.type === "network");
  if (!net) return false;
  try {
    const a = statSync(net.path);
    const b = statSync("/proc/self/ns/net");
    return a.dev === b.dev && a.ino === b.ino;
  } catch {
    return false; // joining will report the missing path
  }
}

/**
 * Everything planRootfs needs from the host, for this process's own cgroup.
 * `rootfs` (the absolute root.path) adds the mount holding it.
 */
export function hostFacts(
  namespaces: NamespacePlan,
  rootfs?: string,
): {
  cgroupLayout: CgroupLayout | undefined;
  procKcore: boolean;
  runningInUserNs: boolean;
  joinedNetnsIsHost: boolean;
  rootfsParentMount?: { path: string; shared: boolean };
} {
  const mountinfo = readFileSync("/proc/self/mountinfo", "utf8");
  const parent = rootfs === undefined ? undefined : parentMountFrom(mountinfo, realpathOr(rootfs));
  return {
    ...(parent ? { rootfsParentMount: parent } : {}),
    cgroupLayout: cgroupLayoutFrom(mountinfo, readFileSync("/proc/self/cgroup", "utf8")),
    procKcore: existsSync("/proc/kcore"),
    runningInUserNs: runningInUserNs(),
    joinedNetnsIsHost: joinedNetnsIsHost(namespaces),
  };
}
