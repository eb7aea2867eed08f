/**
 * planRootfs: root, mounts, devices, masked/readonly paths, hostname, sysctl
 * and oomScoreAdj → ops, in runc's order (libcontainer/rootfs_linux.go
 * prepareRootfs + finalizeRootfs, standard_init_linux.go):
 *
 *   utsOps       sethostname, setdomainname (need a UTS namespace, new or joined)
 *   rootfsOps    oom-score-adj (runc writes it first, before any namespace work)
 *                propagate "/" (linux.rootfsPropagation, default rslave)
 *                propagate <mount holding the rootfs> private, when still shared
 *                bind-rootfs (root.path, relative to the bundle)
 *                every mount, in spec order (cgroup mounts expanded)
 *                unless /dev is a bind mount: device nodes, /dev/ptmx → pts/ptmx,
 *                  /dev/fd, /dev/stdin, /dev/stdout, /dev/stderr [, /dev/core]
 *                /dev/console (the `console` option; see ConsoleSource)
 *   pivot        pivot-root, or chroot with noPivot
 *   postPivotOps mkdir of process.cwd (runc's MkdirAll after pivot, while / is still rw)
 *                read-only remounts of ro tmpfs and /dev mounts (mounted rw first
 *                  so /dev can be populated; runc's finalizeRootfs)
 *                readonly-root (root.readonly)
 *                sysctl (validated against the namespaces), readonly-path, mask-path
 *
 * Bind mounts need to know whether the source is a directory or a file (to
 * create the target). That is I/O, so the caller stats the sources listed by
 * `bindSources()` and passes `sourceKinds` (see sources.ts for the helper the
 * CLI and oci-run use); a bind whose source is missing from the map is an error.
 */
import { posix } from "node:path";
import { PlanError, type ComposeFragment, type NamespacePlan, type Op, type PivotOp } from "@oci-tools/plan";
import { cgroupMountOps, type CgroupLayout } from "./cgroup.ts";
import { deviceList, devOps } from "./devices.ts";
import { MountOptionError, MS, parseMountOptions, PROPAGATION_OPTIONS } from "./flags.ts";
import type { MountSpec, MountSpecMount } from "./spec-like.ts";
import { sysctlOps } from "./sysctl.ts";

export type SourceKind = "file" | "dir";

/**
 * Where /dev/console comes from when process.terminal is set: the host path of
 * the pty's follower side (e.g. /dev/pts/3 of the devpts instance the runtime
 * allocated it in), bound over an empty /dev/console. The terminal issue wires
 * the pty allocation; until a caller passes this, no /dev/console is set up.
 */
export interface ConsoleSource {
  readonly source: string;
}

export interface RootfsOptions {
  /** Absolute path of the bundle; root.path and relative bind sources are resolved against it. */
  readonly bundleDir: string;
  /** The namespace plan (from oci-ns planNamespaces). A new mount namespace is required. */
  readonly namespaces: NamespacePlan;
  /** --no-pivot: move-mount the rootfs onto / and chroot instead of pivot_root. */
  readonly noPivot?: boolean;
  /** The runtime itself already runs inside a user namespace (runc's RunningInUserNS): no mknod. */
  readonly runningInUserNs?: boolean;
  /** stat(2) results for every path bindSources() returns (after following symlinks). */
  readonly sourceKinds?: ReadonlyMap<string, SourceKind>;
  /** The host's cgroup layout; needed only when a mount has type "cgroup". */
  readonly cgroupLayout?: CgroupLayout;
  /** The host has /proc/kcore, so /dev/core → /proc/kcore is linked (runc). */
  readonly procKcore?: boolean;
  /** The network namespace joined by path is the host's own (net.* sysctls are then refused). */
  readonly joinedNetnsIsHost?: boolean;
  readonly console?: ConsoleSource;
  /**
   * The host mount holding root.path and whether it is shared (hostFacts
   * reads it). When it is still shared after "/" got its propagation, it is
   * made private before the rootfs is bound: pivot_root refuses a shared
   * parent, and the bind would otherwise propagate back to the host (runc's
   * rootfsParentMountPrivate).
   */
  readonly rootfsParentMount?: { readonly path: string; readonly shared: boolean };
}

export interface RootfsPlan extends ComposeFragment {
  readonly utsOps: readonly Op[];
  readonly rootfsOps: readonly Op[];
  readonly pivot: PivotOp;
  readonly postPivotOps: readonly Op[];
}

/** HOST_NAME_MAX: sethostname/setdomainname fail with EINVAL past it. */
const HOST_NAME_MAX = 64;

/** Destinations under /proc that may be mounted over (lxcfs-style emulated files), as runc allows. */
export const PROC_MOUNT_ALLOWLIST: readonly string[] = [
  "/proc/cpuinfo",
  "/proc/diskstats",
  "/proc/meminfo",
  "/proc/stat",
  "/proc/swaps",
  "/proc/uptime",
  "/proc/loadavg",
  "/proc/slabinfo",
  "/proc/net/dev",
  "/proc/sys/kernel/ns_last_pid",
];

function has(ns: NamespacePlan, type: NamespacePlan["create"][number]): boolean {
  return ns.create.includes(type) || ns.join.some((j) => j.type === type);
}

/** An absolute, normalized path inside the container (runc accepts relative destinations as relative to /). */
export function containerPath(field: string, p: string): string {
  if (typeof p !== "string" || p === "") throw new PlanError(field, "must be a non-empty path");
  if (p.includes("\0")) throw new PlanError(field, "must not contain a NUL byte");
  const abs = posix.normalize(p.startsWith("/") ? p : `/${p}`);
  return abs.length > 1 && abs.endsWith("/") ? abs.slice(0, -1) : abs;
}

function isBind(m: MountSpecMount, flags: number): boolean {
  // Any "type" is ignored for binds (runc). type "bind" without bind/rbind in
  // the options is treated as a plain bind, as crun does, instead of failing
  // later with ENODEV for a filesystem called "bind".
  return (flags & MS.BIND) !== 0 || m.type === "bind";
}

function bindSourcePath(bundleDir: string, source: string): string {
  return posix.normalize(source.startsWith("/") ? source : posix.join(bundleDir, source));
}

/** Absolute host paths of every bind mount's source: what the caller must stat for `sourceKinds`. */
export function bindSources(spec: MountSpec, bundleDir: string): string[] {
  const out: string[] = [];
  for (const m of spec.mounts ?? []) {
    let flags = 0;
    try {
      flags = parseMountOptions(m.options ?? []).flags;
    } catch {
      continue; // planRootfs reports the option error with its field
    }
    if (isBind(m, flags) && m.source) out.push(bindSourcePath(bundleDir, m.source));
  }
  return [...new Set(out)];
}

/** runc's checkProcMount: nothing may be mounted inside /proc except the allowlist, and only proc on /proc. */
function checkProcDestination(field: string, dest: string, type: string, bindSource: string | undefined): void {
  if (dest === "/proc") {
    if (type === "proc" || bindSource === "/proc") return;
    throw new PlanError(field, `"/proc" cannot be mounted over because the source is not of type proc`);
  }
  if (dest.startsWith("/proc/") && !PROC_MOUNT_ALLOWLIST.includes(dest)) {
    throw new PlanError(field, `"${dest}" cannot be mounted because it is inside /proc`);
  }
}

function onePropagation(field: string, props: readonly number[]): number | undefined {
  if (props.length > 1) throw new PlanError(field, "more than one propagation option (shared/slave/private/unbindable) given; give one");
  return props[0];
}

interface MountContext {
  readonly opts: RootfsOptions;
  readonly inUserNs: boolean;
  /** ro remounts to run after pivot (tmpfs and /dev mounts are mounted rw first). */
  readonly lateReadonly: Op[];
}

function mountOps(m: MountSpecMount, i: number, ctx: MountContext): Op[] {
  const field = `mounts[${i}]`;
  if (m.uidMappings !== undefined || m.gidMappings !== undefined) {
    throw new PlanError(field, "idmapped mounts (uidMappings/gidMappings on a mount) are not supported");
  }
  let parsed;
  try {
    parsed = parseMountOptions(m.options ?? []);
  } catch (e) {
    if (e instanceof MountOptionError) throw new PlanError(`${field}.options`, e.reason);
    throw e;
  }
  const destination = containerPath(`${field}.destination`, m.destination);
  const propagation = onePropagation(`${field}.options`, parsed.propagation);
  const prop = propagation === undefined ? {} : { propagation };
  const type = m.type ?? "";
  const source = m.source ?? "";
  if (source.includes("\0")) throw new PlanError(`${field}.source`, "must not contain a NUL byte");

  if (isBind(m, parsed.flags)) {
    if (source === "") throw new PlanError(`${field}.source`, "a bind mount needs a source");
    const hostSource = bindSourcePath(ctx.opts.bundleDir, source);
    checkProcDestination(`${field}.destination`, destination, type, hostSource);
    const kind = ctx.opts.sourceKinds?.get(hostSource);
    if (kind === undefined) {
      throw new PlanError(`${field}.source`, `kind of bind source ${hostSource} is unknown (stat it and pass it in sourceKinds)`);
    }
    const bindFlags = MS.BIND | (parsed.flags & MS.REC);
    const other = parsed.flags & ~(MS.BIND | MS.REC | MS.REMOUNT);
    return [
      {
        op: "mount",
        source: hostSource,
        target: destination,
        fstype: "bind",
        flags: bindFlags,
        data: parsed.data,
        create: kind,
        // A bind ignores every flag but MS_REC; the others take a remount (runc: only when any is set).
        ...(other !== 0 ? { remountFlags: MS.BIND | MS.REMOUNT | other } : {}),
        ...prop,
      },
    ];
  }

  if (type === "") throw new PlanError(`${field}.type`, "a mount that is not a bind needs a filesystem type");

  if (type === "cgroup") {
    if (ctx.opts.cgroupLayout === undefined) {
      throw new PlanError(field, "a cgroup mount needs the host's cgroup layout (option cgroupLayout)");
    }
    return cgroupMountOps({
      field,
      destination,
      source,
      flags: parsed.flags,
      data: parsed.data,
      ...prop,
      layout: ctx.opts.cgroupLayout,
      cgroupns: ctx.opts.namespaces.create.includes("cgroup"),
      inUserNs: ctx.inUserNs,
    });
  }

  if (type === "sysfs" && ctx.inUserNs && !ctx.opts.namespaces.create.includes("network")) {
    // sysfs may only be mounted by the owner of the network namespace: in a
    // user namespace without its own netns the kernel says EPERM, so bind the
    // host's /sys recursively instead (crun does the same; runc falls back after the EPERM).
    const other = parsed.flags & ~(MS.BIND | MS.REC | MS.REMOUNT);
    return [
      {
        op: "mount",
        source: "/sys",
        target: destination,
        fstype: "bind",
        flags: MS.BIND | MS.REC,
        data: "",
        create: "dir",
        ...(other !== 0 ? { remountFlags: MS.BIND | MS.REMOUNT | other } : {}),
        ...prop,
      },
    ];
  }

  // proc and mqueue may only be mounted by a user namespace that owns the pid
  // / ipc namespace: with a new user namespace, those must be new too (a joined
  // or the host's one belongs to another user namespace, and the mount fails with EPERM).
  const userCreated = ctx.opts.namespaces.create.includes("user");
  for (const [fs, ns] of [
    ["proc", "pid"],
    ["mqueue", "ipc"],
  ] as const) {
    if (type === fs && userCreated && !ctx.opts.namespaces.create.includes(ns)) {
      const joined = ctx.opts.namespaces.join.find((j) => j.type === ns);
      throw new PlanError(
        field,
        `a ${fs} mount in a new user namespace needs a new ${ns} namespace too: the ${joined ? `joined ${ns} namespace ${joined.path}` : `host's ${ns} namespace`} belongs to another user namespace (the kernel refuses with EPERM)`,
      );
    }
  }

  if (!["proc", "sysfs", "mqueue", "tmpfs"].includes(type)) checkProcDestination(`${field}.destination`, destination, type, undefined);
  if (type === "proc" && destination !== "/proc") checkProcDestination(`${field}.destination`, destination, type, undefined);

  let flags = parsed.flags;
  if ((type === "tmpfs" || destination === "/dev") && (flags & MS.RDONLY) !== 0) {
    // Mount rw so /dev can be populated (and tmpfs chmod-ed); after pivot make
    // the mount point read-only with a bind remount, as runc's remountReadonly:
    // per-mount flags only (the superblock stays rw, as mountinfo shows under
    // runc), and allowed inside a user namespace.
    flags &= ~MS.RDONLY;
    ctx.lateReadonly.push({
      op: "mount",
      source: "",
      target: destination,
      fstype: "",
      flags: parsed.flags | MS.REMOUNT | MS.BIND | MS.RDONLY,
      data: "",
      create: "none",
    });
  }
  return [{ op: "mount", source, target: destination, fstype: type, flags, data: parsed.data, create: "dir", ...prop }];
}

function hostnameOps(spec: MountSpec, ns: NamespacePlan): Op[] {
  const ops: Op[] = [];
  for (const [key, op] of [
    ["hostname", "sethostname"],
    ["domainname", "setdomainname"],
  ] as const) {
    const name = spec[key];
    if (name === undefined || name === "") continue;
    if (!has(ns, "uts")) throw new PlanError(key, `unable to set ${key} without a private UTS namespace`);
    if (new TextEncoder().encode(name).length > HOST_NAME_MAX) throw new PlanError(key, `longer than ${HOST_NAME_MAX} bytes`);
    if (name.includes("\0")) throw new PlanError(key, "must not contain a NUL byte");
    ops.push({ op, name });
  }
  return ops;
}

function pathOps(field: string, paths: readonly string[] | undefined, op: "mask-path" | "readonly-path"): Op[] {
  return (paths ?? []).map((p, i) => {
    if (typeof p !== "string" || !p.startsWith("/")) throw new PlanError(`${field}[${i}]`, `must be an absolute path, got "${String(p)}"`);
    return { op, path: containerPath(`${field}[${i}]`, p) };
  });
}

export function planRootfs(spec: MountSpec, opts: RootfsOptions): RootfsPlan {
  const ns = opts.namespaces;
  if (!opts.bundleDir.startsWith("/")) throw new PlanError("bundleDir", `must be absolute, got "${opts.bundleDir}"`);
  if (!ns.create.includes("mount")) {
    const joined = ns.join.find((j) => j.type === "mount");
    throw new PlanError(
      "linux.namespaces",
      joined
        ? `setting up a rootfs inside the existing mount namespace ${joined.path} would change it; a new mount namespace is required`
        : `setting up a rootfs needs a new mount namespace ("mount" in linux.namespaces)`,
    );
  }
  if (spec.root === undefined || typeof spec.root.path !== "string" || spec.root.path === "") {
    throw new PlanError("root.path", "is required");
  }
  const inUserNs = opts.runningInUserNs === true || has(ns, "user");

  const propagationName = spec.linux?.rootfsPropagation ?? "";
  let rootPropagation = MS.SLAVE | MS.REC;
  if (propagationName !== "") {
    const p = Object.hasOwn(PROPAGATION_OPTIONS, propagationName) ? PROPAGATION_OPTIONS[propagationName] : undefined;
    if (p === undefined) throw new PlanError("linux.rootfsPropagation", `"${propagationName}" is not supported (one of ${Object.keys(PROPAGATION_OPTIONS).join(", ")})`);
    rootPropagation = p;
  }

  const rootfsOps: Op[] = [];
  const oom = spec.process?.oomScoreAdj;
  if (oom !== undefined) {
    if (!Number.isInteger(oom) || oom < -1000 || oom > 1000) throw new PlanError("process.oomScoreAdj", `must be an integer in -1000..1000, got ${oom}`);
    rootfsOps.push({ op: "oom-score-adj", value: oom });
  }
  rootfsOps.push({ op: "propagate", target: "/", flags: rootPropagation });
  const parent = opts.rootfsParentMount;
  if (parent !== undefined) {
    // Shared after the "/" change? A recursive flag decides for every mount,
    // a plain one only for "/" itself; other mounts keep the host's state.
    const decidedByRoot = (rootPropagation & MS.REC) !== 0 || parent.path === "/";
    const sharedNow = decidedByRoot ? (rootPropagation & MS.SHARED) !== 0 : parent.shared;
    if (sharedNow) rootfsOps.push({ op: "propagate", target: parent.path, flags: MS.PRIVATE });
  }
  rootfsOps.push({ op: "bind-rootfs", path: bindSourcePath(opts.bundleDir, spec.root.path) });

  const ctx: MountContext = { opts, inUserNs, lateReadonly: [] };
  const mounts = spec.mounts ?? [];
  mounts.forEach((m, i) => rootfsOps.push(...mountOps(m, i, ctx)));

  // /dev is populated unless the spec binds a /dev of its own (runc's needsSetupDev).
  const setupDev = !mounts.some((m, i) => {
    let flags = 0;
    try {
      flags = parseMountOptions(m.options ?? []).flags;
    } catch {
      return false;
    }
    return isBind(m, flags) && containerPath(`mounts[${i}].destination`, m.destination) === "/dev";
  });
  if (setupDev) {
    rootfsOps.push(
      ...devOps({ devices: deviceList(spec.linux?.devices ?? []), bindDevices: inUserNs, procKcore: opts.procKcore === true }),
    );
  }
  if (opts.console) {
    if (!opts.console.source.startsWith("/")) throw new PlanError("console.source", "must be an absolute host path");
    rootfsOps.push({ op: "mount", source: opts.console.source, target: "/dev/console", fstype: "bind", flags: MS.BIND, data: "", create: "file" });
  }

  const pivot: PivotOp = opts.noPivot ? { op: "chroot" } : { op: "pivot-root" };

  const postPivotOps: Op[] = [];
  const cwd = spec.process?.cwd;
  if (cwd !== undefined && cwd !== "") {
    if (!cwd.startsWith("/")) throw new PlanError("process.cwd", `must be an absolute path, got "${cwd}"`);
    const dir = containerPath("process.cwd", cwd);
    if (dir !== "/") postPivotOps.push({ op: "mkdir", path: dir, mode: 0o755 });
  }
  postPivotOps.push(...ctx.lateReadonly);
  if (spec.root.readonly === true) postPivotOps.push({ op: "readonly-root" });
  postPivotOps.push(...sysctlOps(spec.linux?.sysctl ?? {}, { namespaces: ns, joinedNetnsIsHost: opts.joinedNetnsIsHost === true }));
  postPivotOps.push(...pathOps("linux.readonlyPaths", spec.linux?.readonlyPaths, "readonly-path"));
  postPivotOps.push(...pathOps("linux.maskedPaths", spec.linux?.maskedPaths, "mask-path"));

  return { utsOps: hostnameOps(spec, ns), rootfsOps, pivot, postPivotOps };
}
