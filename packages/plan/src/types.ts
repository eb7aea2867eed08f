/**
 * The Plan: the container's syscall program.
 *
 * Planners (packages/ns, mount, caps, cgroup, seccomp) are pure functions from
 * a validated Spec to fragments of this type; `composePlan` in this package
 * joins the fragments; `encodePlan` turns the result into the byte form that
 * native/oci-init decodes. Native code executes a Plan and decides nothing
 * beyond doing each step safely (DESIGN.md "Spec → Plan is pure").
 *
 * Execution model (native/oci-init):
 *
 *   stage 0 (runs on the host side, single-threaded C)
 *     1. `cgroupProcs`: writes its own pid into each file (so every later
 *        process starts inside the container's cgroup).
 *     2. `namespaces.join`, in order: open(path) + setns(fd, type).
 *        Planners put a user namespace first.
 *     3. `namespaces.timeOffsets`: unshare(CLONE_NEWTIME) and write
 *        /proc/self/timens_offsets (time namespaces apply to children only).
 *     4. clone(namespaces.create) → the container init ("stage 1").
 *        With a new user namespace, stage 0 writes the child's setgroups,
 *        uid_map and gid_map from `namespaces.idMappings`, then lets it go on.
 *     5. Reports {"type":"pid","pid":N} (N as seen from the host) on the
 *        sync channel, then either exits 0 once stage 1 reported ready
 *        (`stage0: "exit"`, for create: the init is re-parented to the
 *        caller's subreaper) or waits for stage 1 and exits with its status,
 *        128+signal when killed (`stage0: "wait"`, for foreground tools).
 *
 *   stage 1 (the container's init)
 *     6. `ops`, strictly in order. Paths in ops marked "in rootfs" are
 *        resolved by native code at the moment of use, relative to the
 *        rootfs before `pivot-root`/`chroot`, relative to "/" after it,
 *        never following a symlink out of the root (safety rule 1).
 *     7. `process`: marks every fd above 2 close-on-exec except the
 *        preserved ones (safety rule 2), waits on `execFifo` when set,
 *        then execve()s `process.args` (PATH lookup in `process.env`'s PATH
 *        inside the container when args[0] has no slash).
 *
 * Sync channel: fd 3 (a unix stream socket; preserved fds follow at 4, 5, …
 * and reach the container as 3, 4, …) carries JSON lines from
 * native to the caller: {"type":"pid"}, {"type":"ready"},
 * {"type":"error","op":<index or -1>,"opName":…,"errno":"EPERM","message":…},
 * {"type":"sync","point":…} (answered by the caller, see the "sync" op) and
 * {"type":"console","name":…} (with the pty master attached, "console" op).
 * native/PLAN-FORMAT.md has the byte format and every message.
 */

export type NamespaceType = "pid" | "network" | "mount" | "ipc" | "uts" | "user" | "cgroup" | "time";

export interface NamespaceJoin {
  readonly type: NamespaceType;
  /** Absolute host path of a namespace file (e.g. /var/run/netns/runc). */
  readonly path: string;
}

export interface IdMapping {
  readonly containerID: number;
  readonly hostID: number;
  readonly size: number;
}

export interface TimeOffset {
  readonly secs: number;
  readonly nanosecs: number;
}

export interface NamespacePlan {
  readonly join: readonly NamespaceJoin[];
  readonly create: readonly NamespaceType[];
  /** Present exactly when `create` contains "user". */
  readonly idMappings?: {
    readonly uid: readonly IdMapping[];
    readonly gid: readonly IdMapping[];
    /** "deny" is written to /proc/<pid>/setgroups before gid_map. */
    readonly setgroups: "allow" | "deny";
  };
  /** Present only when `create` contains "time". */
  readonly timeOffsets?: { readonly monotonic?: TimeOffset; readonly boottime?: TimeOffset };
}

/** Mount flags as the kernel numbers them (MS_*). Planners compute them. */
export type MountFlags = number;

/** Propagation of a mount point: MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE, optionally | MS_REC. */
export type PropagationFlags = number;

export type Op =
  // ── hostname and friends (uts namespace) ────────────────────────────────
  | { readonly op: "sethostname"; readonly name: string }
  | { readonly op: "setdomainname"; readonly name: string }
  // ── mounts ──────────────────────────────────────────────────────────────
  /** mount(NULL, target, NULL, flags, NULL) on a host path, e.g. "/" with MS_REC|MS_SLAVE. */
  | { readonly op: "propagate"; readonly target: string; readonly flags: PropagationFlags }
  /** Bind the rootfs (absolute host path) onto itself so it is a mount point; it becomes the root for later "in rootfs" paths. */
  | { readonly op: "bind-rootfs"; readonly path: string }
  /**
   * Mount `source` at `target` (in rootfs). `create` says what to create at
   * the target when missing ("dir", or an empty "file" for a file bind).
   * For binds, `flags` holds MS_BIND[|MS_REC] and `remountFlags`, when set,
   * the flags of the MS_BIND|MS_REMOUNT that follows (ro, nosuid, …).
   * `propagation`, when set, is applied to the target afterwards.
   * A bind `source` is a host path, resolved on the host.
   */
  | {
      readonly op: "mount";
      readonly source: string;
      readonly target: string;
      readonly fstype: string;
      readonly flags: MountFlags;
      readonly data: string;
      readonly create: "dir" | "file" | "none";
      readonly remountFlags?: MountFlags;
      readonly propagation?: PropagationFlags;
    }
  /** mkdir -p (in rootfs). */
  | { readonly op: "mkdir"; readonly path: string; readonly mode: number }
  /** symlink(target, linkpath) with linkpath in rootfs; an existing identical link is fine. */
  | { readonly op: "symlink"; readonly target: string; readonly linkpath: string }
  /** mknod (in rootfs) then chown. */
  | {
      readonly op: "mknod";
      readonly path: string;
      readonly kind: "c" | "b" | "p";
      readonly major: number;
      readonly minor: number;
      readonly mode: number;
      readonly uid: number;
      readonly gid: number;
    }
  /** Bind a host device node (absolute host path) onto path (in rootfs); used inside user namespaces where mknod is denied. */
  | { readonly op: "bind-device"; readonly source: string; readonly path: string }
  /** pivot_root into the rootfs and detach the old root. */
  | { readonly op: "pivot-root" }
  /** --no-pivot: move-mount the rootfs onto / and chroot. */
  | { readonly op: "chroot" }
  /** Remount the (new) root read-only (root.readonly). */
  | { readonly op: "readonly-root" }
  /** Mask a path (after pivot): bind the verified /dev/null over a file, a read-only empty tmpfs over a directory; missing paths are skipped. */
  | { readonly op: "mask-path"; readonly path: string }
  /** Bind a path onto itself and remount it read-only (after pivot); missing paths are skipped. */
  | { readonly op: "readonly-path"; readonly path: string }
  /** Write value to /proc/sys/<key with dots as slashes>, through an fd verified to be on procfs. */
  | { readonly op: "sysctl"; readonly key: string; readonly value: string }
  /** Write /proc/self/oom_score_adj through a procfs-verified fd. */
  | { readonly op: "oom-score-adj"; readonly value: number }
  // ── process privileges ──────────────────────────────────────────────────
  | { readonly op: "rlimit"; readonly resource: number; readonly name: string; readonly soft: bigint; readonly hard: bigint }
  | { readonly op: "umask"; readonly mask: number }
  | { readonly op: "personality"; readonly persona: number }
  | { readonly op: "ioprio"; readonly ioprio: number }
  | {
      readonly op: "scheduler";
      readonly policy: number;
      readonly nice: number;
      readonly priority: number;
      readonly flags: bigint;
      readonly runtime: bigint;
      readonly deadline: bigint;
      readonly period: bigint;
    }
  /** Write the AppArmor exec profile (/proc/self/attr/apparmor/exec, or attr/exec). */
  | { readonly op: "apparmor"; readonly profile: string }
  /** Write the SELinux exec label (/proc/self/attr/exec). */
  | { readonly op: "selinux-label"; readonly label: string }
  | { readonly op: "no-new-privs" }
  /**
   * Become the process's user and capabilities, in the order the kernel needs:
   * PR_SET_KEEPCAPS, drop the bounding set to `bounding`, setgroups,
   * setresgid, setresuid, capset(effective, permitted, inheritable), then raise
   * `ambient`. Masks are bit sets over CAP_* numbers.
   */
  | {
      readonly op: "identity";
      readonly uid: number;
      readonly gid: number;
      readonly additionalGids: readonly number[];
      readonly caps: {
        readonly bounding: bigint;
        readonly effective: bigint;
        readonly permitted: bigint;
        readonly inheritable: bigint;
        readonly ambient: bigint;
      };
    }
  /** Install a classic BPF seccomp filter (sock_filter array, 8 bytes each). */
  | { readonly op: "seccomp"; readonly filter: Uint8Array; readonly flags: number }
  /** chdir(path) inside the container; refused unless it resolves inside the root; not created (planners add a mkdir op where the cwd may be missing). */
  | { readonly op: "chdir"; readonly path: string }
  /**
   * Set HOME in the process's environment from the container's /etc/passwd
   * (runc 1.1's setupUser, for a process.env without a non-empty HOME): the
   * first entry whose uid field is `uid` gives its home field; no entry, no
   * passwd file (or one not reachable inside the root) gives "/". Read after
   * pivot (resolved in the root, never following a symlink out of it) and
   * before identity drops privileges. The first HOME= entry of process.env
   * gets the value, later ones are dropped; without one it is appended.
   * `startHooks` lists the process.startHooks (indexes) whose env is the
   * process's (hooks without their own env): they get the same HOME, as
   * runc's start hooks inherit its init's environment.
   */
  | { readonly op: "home-from-passwd"; readonly uid: number; readonly startHooks: readonly number[] }
  // ── hooks and terminals (need the caller's help) ────────────────────────
  /**
   * Pause for the caller: send {"type":"sync","point":…} on the sync channel
   * and block until it answers with one JSON line: {"type":"continue",
   * "states":{"createContainer":"<state JSON>","startContainer":"<state JSON>"}}
   * (states optional; kept for later "hook" ops) or {"type":"abort","message":…},
   * which fails this op with that message. oci-run runs the prestart and
   * createRuntime hooks while stage 1 waits at point "createRuntime" (after
   * the mounts, before pivot_root, as runtime-spec orders them).
   */
  | { readonly op: "sync"; readonly point: "createRuntime" }
  /**
   * Run one OCI hook from inside the container's namespaces (createContainer
   * before pivot_root, startContainer after the exec fifo): fork, execve(path,
   * args, env) — path resolved where stage 1 stands at that moment — with the
   * state JSON the caller sent for `name` on stdin; SIGKILL its process group
   * after `timeout` seconds (0: no limit). A non-zero exit fails the op with
   * the hook's output in the message, as runc reports it.
   */
  | {
      readonly op: "hook";
      readonly name: "createContainer" | "startContainer";
      readonly index: number;
      readonly path: string;
      readonly args: readonly string[];
      readonly env: readonly string[];
      readonly timeout: number;
    }
  /**
   * process.terminal: open a new pty from the container's /dev/pts/ptmx (after
   * pivot, checked to be devpts' 5:2), set its size when rows/cols are
   * non-zero, bind the slave onto /dev/console when `mountConsole`, send the
   * master to the caller over the sync channel with SCM_RIGHTS and the message
   * {"type":"console","name":"/dev/pts/N"}, and at exec make the slave the
   * controlling terminal (setsid, TIOCSCTTY) and fds 0, 1, 2.
   */
  | { readonly op: "console"; readonly rows: number; readonly cols: number; readonly mountConsole: boolean };

export type OpName = Op["op"];

export interface ProcessPlan {
  readonly args: readonly string[];
  readonly env: readonly string[];
  /** Fds above 2 that stay open across execve (3..3+preserveFds-1). */
  readonly preserveFds: number;
  /**
   * Absolute host path of the exec fifo (oci-run create). Stage 0 makes it
   * (mkfifo 0622; an existing fifo is used, a symlink refused) and opens it
   * O_PATH before any namespace join (it is a host path); after the last op,
   * stage 1 opens it for writing through /proc/self/fd (blocking until
   * `start` reads) and writes one byte. See native/PLAN-FORMAT.md.
   */
  readonly execFifo?: string;
  /** startContainer hooks: run by stage 1 after the exec fifo released it, before execve (op "hook"). */
  readonly startHooks?: readonly Extract<Op, { op: "hook" }>[];
}

export interface Plan {
  readonly version: 1;
  /** For error messages: "create <id>: …". */
  readonly containerId: string;
  readonly stage0: "exit" | "wait";
  /** Absolute cgroup.procs files stage 0 joins before cloning. */
  readonly cgroupProcs: readonly string[];
  readonly namespaces: NamespacePlan;
  readonly ops: readonly Op[];
  readonly process: ProcessPlan;
}

/** What a planner returns: pieces the composer concatenates in a fixed phase order. */
export interface PlanFragment {
  readonly namespaces?: NamespacePlan;
  readonly cgroupProcs?: readonly string[];
  /** Ops before pivot_root (mount setup, devices), in order. */
  readonly rootfsOps?: readonly Op[];
  /** Ops right after pivot/chroot (masked/readonly paths, readonly root, sysctl). */
  readonly postPivotOps?: readonly Op[];
  /** Process ops (rlimits, identity, no-new-privs, seccomp, chdir). */
  readonly processOps?: readonly Op[];
}
