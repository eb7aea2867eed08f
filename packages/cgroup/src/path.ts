/**
 * Resolving linux.cgroupsPath (pure).
 *
 * Forms, as runc interprets them:
 *   - absolute "/a/b": the same path under every hierarchy's root;
 *   - relative "a/b": relative to the runtime's own cgroup in each hierarchy;
 *   - unset: relative "<id>" (runc's cgroupfs default: a child of its own cgroup);
 *   - with --systemd-cgroup, "slice:prefix:name": the unit "prefix-name.scope"
 *     (or "name" itself when it ends in ".slice") under the expanded slice,
 *     e.g. "machine-web.slice:libpod:abc" → /machine.slice/machine-web.slice/libpod-abc.scope.
 *     Unset means "system.slice:oci-run:<id>".
 *
 * The systemd form is a path mapping only: we create the directories with
 * cgroupfs and never ask systemd over D-Bus to create a transient unit (that is
 * out of scope), so systemd does not know about the scope.
 */

export type CgroupPath =
  | { readonly kind: "absolute"; readonly path: string }
  | { readonly kind: "relative"; readonly path: string };

export class CgroupPathError extends Error {}

const SEGMENT_BAD = /(^|\/)\.\.?(\/|$)/;

function checkPath(p: string, what: string): void {
  if (p.includes("\0")) throw new CgroupPathError(`${what} ${JSON.stringify(p)}: contains NUL`);
  if (SEGMENT_BAD.test(p)) throw new CgroupPathError(`${what} ${JSON.stringify(p)}: "." and ".." components are not allowed`);
}

/** "a-b-c.slice" → "/a.slice/a-b.slice/a-b-c.slice"; "-.slice" and "" → "/". */
export function expandSlice(slice: string): string {
  if (slice === "" || slice === "-.slice") return "/";
  if (!slice.endsWith(".slice")) throw new CgroupPathError(`invalid slice name ${JSON.stringify(slice)}: must end in ".slice"`);
  const base = slice.slice(0, -".slice".length);
  if (base.includes("/") || base.startsWith("-") || base.endsWith("-") || base.includes("--") || base === "") {
    throw new CgroupPathError(`invalid slice name ${JSON.stringify(slice)}`);
  }
  let out = "";
  let prefix = "";
  for (const part of base.split("-")) {
    prefix = prefix === "" ? part : `${prefix}-${part}`;
    out += `/${prefix}.slice`;
  }
  return out;
}

export interface ResolveOptions {
  readonly cgroupsPath: string | undefined;
  readonly id: string;
  readonly systemd: boolean;
  /** Root of the runtime (root: "system.slice"); rootless systemd would use "user.slice". */
  readonly defaultSlice?: string;
}

export function resolveCgroupPath(o: ResolveOptions): CgroupPath {
  const raw = o.cgroupsPath ?? "";
  if (o.systemd) {
    const spec = raw === "" ? `${o.defaultSlice ?? "system.slice"}:oci-run:${o.id}` : raw;
    const parts = spec.split(":");
    if (parts.length !== 3) {
      throw new CgroupPathError(`cgroupsPath ${JSON.stringify(spec)}: with --systemd-cgroup it must be "slice:prefix:name"`);
    }
    const [slice, prefix, name] = parts as [string, string, string];
    if (name === "") throw new CgroupPathError(`cgroupsPath ${JSON.stringify(spec)}: empty unit name`);
    const unit = name.endsWith(".slice") ? name : prefix === "" ? `${name}.scope` : `${prefix}-${name}.scope`;
    if (unit.includes("/")) throw new CgroupPathError(`cgroupsPath ${JSON.stringify(spec)}: unit name contains "/"`);
    const parent = expandSlice(slice === "" ? (o.defaultSlice ?? "system.slice") : slice);
    const path = name.endsWith(".slice") ? expandSlice(name) : `${parent === "/" ? "" : parent}/${unit}`;
    checkPath(path, "cgroupsPath");
    return { kind: "absolute", path };
  }
  if (raw === "") return { kind: "relative", path: o.id };
  checkPath(raw, "cgroupsPath");
  if (raw.startsWith("/")) {
    const path = raw.replace(/\/+/g, "/").replace(/\/$/, "");
    if (path === "") throw new CgroupPathError(`cgroupsPath "/" is the root cgroup: a container needs its own`);
    return { kind: "absolute", path };
  }
  return { kind: "relative", path: raw.replace(/\/+/g, "/").replace(/\/$/, "") };
}

/** Joins a cgroup path to a hierarchy: absolute paths hang off the mount, relative ones off `own`. */
export function joinCgroup(mountpoint: string, mountRoot: string, own: string, p: CgroupPath): string {
  let inner = p.kind === "absolute" ? p.path : `${own.replace(/\/$/, "")}/${p.path}`;
  // A hierarchy mounted from a sub-cgroup (inside a container): strip the mount's root.
  if (mountRoot !== "/" && (inner === mountRoot || inner.startsWith(mountRoot + "/"))) inner = inner.slice(mountRoot.length);
  return `${mountpoint.replace(/\/$/, "")}${inner.startsWith("/") ? "" : "/"}${inner}`;
}
