/**
 * Which cgroup hierarchies this host has, read from /proc/self/mountinfo.
 *
 * - "v1": only v1 hierarchies (one mount per controller or comounted set,
 *   plus named hierarchies like name=systemd);
 * - "hybrid": v1 hierarchies and an (empty) cgroup2 mount at .../unified —
 *   controllers live in v1, so v1 is what we manage (as runc does);
 * - "v2": a single unified hierarchy (cgroup2 on /sys/fs/cgroup).
 */

export interface V1Hierarchy {
  /** Controllers and names as /proc/self/cgroup lists them: ["cpu","cpuacct"], ["name=systemd"]. */
  readonly controllers: readonly string[];
  /** Where the hierarchy is mounted on the host. */
  readonly mountpoint: string;
  /** The cgroup path the mount's root corresponds to ("/" normally). */
  readonly root: string;
}

export type CgroupLayout =
  | { readonly kind: "v2"; readonly mountpoint: string; readonly root: string }
  | { readonly kind: "v1"; readonly hierarchies: readonly V1Hierarchy[] }
  | { readonly kind: "hybrid"; readonly hierarchies: readonly V1Hierarchy[]; readonly unified: string };

/** Mountinfo escapes spaces etc. as \ooo octal. */
function unescapeMountField(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Pure: derives the layout from the text of /proc/self/mountinfo. */
export function parseCgroupLayout(mountinfo: string): CgroupLayout {
  const v1: V1Hierarchy[] = [];
  let unified: { mountpoint: string; root: string } | undefined;
  const seen = new Set<string>();
  for (const line of mountinfo.split("\n")) {
    if (line === "") continue;
    const sep = line.indexOf(" - ");
    if (sep < 0) continue;
    const pre = line.slice(0, sep).split(" ");
    const post = line.slice(sep + 3).split(" ");
    const fstype = post[0];
    const root = unescapeMountField(pre[3] ?? "/");
    const mountpoint = unescapeMountField(pre[4] ?? "");
    if (fstype === "cgroup2") {
      unified ??= { mountpoint, root };
    } else if (fstype === "cgroup") {
      const superOpts = (post[2] ?? "").split(",");
      const controllers = superOpts.filter((o) => o !== "rw" && o !== "ro" && !o.startsWith("release_agent=") && o !== "clone_children" && o !== "noprefix" && o !== "xattr" && o !== "cpuset_v2_mode" && o !== "nsdelegate" && o !== "favordynmods");
      const key = controllers.slice().sort().join(",");
      // The same hierarchy may be mounted more than once (bind mounts): keep the first.
      if (seen.has(key) || controllers.length === 0) continue;
      seen.add(key);
      v1.push({ controllers, mountpoint, root });
    }
  }
  if (v1.length > 0) {
    return unified ? { kind: "hybrid", hierarchies: v1, unified: unified.mountpoint } : { kind: "v1", hierarchies: v1 };
  }
  if (unified) return { kind: "v2", mountpoint: unified.mountpoint, root: unified.root };
  throw new Error("no cgroup filesystem is mounted (neither cgroup nor cgroup2 in /proc/self/mountinfo)");
}

/** Pure: parses /proc/<pid>/cgroup into "controllers key" → path ("" is the unified hierarchy). */
export function parseProcCgroup(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const a = line.indexOf(":");
    const b = line.indexOf(":", a + 1);
    if (a < 0 || b < 0) continue;
    const ctrls = line.slice(a + 1, b);
    out.set(ctrls.split(",").sort().join(","), line.slice(b + 1));
  }
  return out;
}

/** The key parseProcCgroup uses for a v1 hierarchy. */
export function hierarchyKey(h: V1Hierarchy): string {
  return h.controllers.slice().sort().join(",");
}
