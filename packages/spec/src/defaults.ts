/**
 * defaultSpec: the config `runc spec` (runc 1.1) writes, field for field, except
 * `ociVersion`, which says 1.2.0 because that is the spec this project implements
 * (runc 1.1.5 writes "1.0.2-dev"). `rootless` applies what runc's
 * specconv.ToRootless does: no network namespace, a user namespace mapping the
 * caller's euid/egid to 0, /sys as a recursive read-only bind, no uid=/gid=
 * mount options, no cgroup resources.
 */
import type { Mount, Spec } from "./types.ts";
import { OCI_VERSION } from "./version.ts";

export interface DefaultSpecOptions {
  rootless?: boolean;
  args?: string[];
  terminal?: boolean;
  hostname?: string;
  rootPath?: string;
  /** Host ids mapped to root in the rootless variant; default: this process's euid/egid, as runc does. */
  hostUid?: number;
  hostGid?: number;
}

const DEFAULT_CAPS = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"];

function defaultMounts(): Mount[] {
  return [
    { destination: "/proc", type: "proc", source: "proc" },
    { destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "strictatime", "mode=755", "size=65536k"] },
    {
      destination: "/dev/pts",
      type: "devpts",
      source: "devpts",
      options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"],
    },
    { destination: "/dev/shm", type: "tmpfs", source: "shm", options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"] },
    { destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"] },
    { destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"] },
    { destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup", options: ["nosuid", "noexec", "nodev", "relatime", "ro"] },
  ];
}

export function defaultSpec(options: DefaultSpecOptions = {}): Spec {
  const spec: Spec = {
    ociVersion: OCI_VERSION,
    process: {
      terminal: options.terminal ?? true,
      user: { uid: 0, gid: 0 },
      args: options.args ?? ["sh"],
      env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
      cwd: "/",
      capabilities: {
        bounding: [...DEFAULT_CAPS],
        effective: [...DEFAULT_CAPS],
        permitted: [...DEFAULT_CAPS],
        ambient: [...DEFAULT_CAPS],
      },
      rlimits: [{ type: "RLIMIT_NOFILE", hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: options.rootPath ?? "rootfs", readonly: true },
    hostname: options.hostname ?? "runc",
    mounts: defaultMounts(),
    linux: {
      resources: { devices: [{ allow: false, access: "rwm" }] },
      namespaces: [{ type: "pid" }, { type: "network" }, { type: "ipc" }, { type: "uts" }, { type: "mount" }],
      maskedPaths: [
        "/proc/acpi",
        "/proc/asound",
        "/proc/kcore",
        "/proc/keys",
        "/proc/latency_stats",
        "/proc/timer_list",
        "/proc/timer_stats",
        "/proc/sched_debug",
        "/sys/firmware",
        "/proc/scsi",
      ],
      readonlyPaths: ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"],
    },
  };
  return options.rootless ? toRootless(spec, options.hostUid ?? process.geteuid?.() ?? 0, options.hostGid ?? process.getegid?.() ?? 0) : spec;
}

/** runc's specconv.ToRootless, applied to a copy. */
export function toRootless(spec: Spec, hostUid: number, hostGid: number): Spec {
  const out = structuredClone(spec);
  const linux = (out.linux ??= {});
  const kept = (linux.namespaces ?? []).filter((ns) => ns.type !== "network" && ns.type !== "user");
  linux.namespaces = [...kept, { type: "user" }];
  const { uidMappings: _uid, gidMappings: _gid, resources: _resources, ...others } = linux;
  // Key order as runc emits it (Go struct order): the mappings come first.
  out.linux = {
    uidMappings: [{ containerID: 0, hostID: hostUid, size: 1 }],
    gidMappings: [{ containerID: 0, hostID: hostGid, size: 1 }],
    ...others,
  };
  out.mounts = (out.mounts ?? []).map((mount) => {
    if (mount.destination.replace(/\/+$/, "") === "/sys") {
      return { destination: "/sys", type: "none", source: "/sys", options: ["rbind", "nosuid", "noexec", "nodev", "ro"] };
    }
    if (mount.options === undefined) return mount;
    return { ...mount, options: mount.options.filter((o) => !o.startsWith("uid=") && !o.startsWith("gid=")) };
  });
  return out;
}
