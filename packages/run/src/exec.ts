/**
 * `exec`: run another process in a running container, as runc does.
 *
 * The process comes from --process FILE (a runtime-spec Process, taken as is)
 * or from the container's config.json process with the command line's
 * changes (args, --env appended, --cwd, --user, --additional-gids, --cap,
 * --no-new-privs, --tty, --apparmor, --process-label). oci-init then:
 *   - joins the container's cgroup (so `kill --all`, `ps` and delete reach
 *     the process, and it dies with the container),
 *   - joins every namespace of the container's init, user first
 *     (/proc/<pid>/ns/*; native skips the ones it already shares),
 *   - clones the process into the container's pid namespace, runs the
 *     caps planner's ops (rlimits, umask, LSM labels, no_new_privs, identity,
 *     chdir resolved inside the container's root), and execs.
 * Safety rules hold as for create: oci-init runs from a sealed memfd and is
 * not dumpable until execve, every host fd but stdio and --preserve-fds is
 * closed on exec.
 *
 * Foreground: oci-init's stage 0 waits and exits with the process's status;
 * signals we get are forwarded to the process (with a terminal, SIGWINCH
 * resizes the pty instead). --detach: stage 0 exits once the process runs,
 * leaving it to our caller's subreaper; --pid-file gets its host pid.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync, constants as C } from "node:fs";
import { dirname, resolve } from "node:path";
import { cgroupProcsFiles } from "@oci-tools/cgroup";
import { ToolError, UsageError } from "@oci-tools/cli";
import type { NamespaceJoin, NamespaceType, Plan } from "@oci-tools/plan";
import type { InitErrorMessage } from "@oci-tools/sys";
import type { LoadedSpec } from "@oci-tools/spec";
import { consoleOp, withConsole } from "./console-op.ts";
import { errors } from "./errors.ts";
import { isSameLiveProcess } from "./proc.ts";
import type { ContainerRecord, StateStore } from "./state.ts";
import { computeStatus } from "./status.ts";

export interface ExecOptions {
  readonly id: string;
  /** The command (empty with --process). */
  readonly args: readonly string[];
  readonly processFile?: string | undefined;
  readonly tty: boolean;
  readonly detach: boolean;
  readonly pidFile?: string | undefined;
  readonly consoleSocket?: string | undefined;
  /** "uid" or "uid:gid" (numbers, as runc takes them). */
  readonly user?: string | undefined;
  readonly additionalGids: readonly string[];
  readonly env: readonly string[];
  readonly cwd?: string | undefined;
  readonly caps: readonly string[];
  readonly noNewPrivs: boolean;
  readonly preserveFds: number;
  readonly apparmor?: string | undefined;
  readonly processLabel?: string | undefined;
}

type Process = NonNullable<LoadedSpec["process"]>;

/** /proc/<pid>/ns entry → plan namespace type, in join order: user first, mount last. */
const NS_FILES: readonly (readonly [string, NamespaceType])[] = [
  ["user", "user"],
  ["ipc", "ipc"],
  ["uts", "uts"],
  ["net", "network"],
  ["pid", "pid"],
  ["cgroup", "cgroup"],
  ["time", "time"],
  ["mnt", "mount"],
];

/** Every namespace of `pid` as joins (what oci-init needs to enter the container). */
export function namespaceJoins(pid: number): NamespaceJoin[] {
  return NS_FILES.filter(([file]) => existsSync(`/proc/${pid}/ns/${file}`)).map(([file, type]) => ({ type, path: `/proc/${pid}/ns/${file}` }));
}

function parseId(what: string, text: string): number {
  if (!/^\d+$/.test(text) || Number(text) > 0xfffffffe) throw new UsageError(`exec: ${what} must be a number, not '${text}'`);
  return Number(text);
}

/** The Process to run: --process as is, or config.json's with the flags applied (runc's getProcess). */
function execProcessSpec(spec: LoadedSpec, o: ExecOptions): Process {
  if (o.processFile) {
    let text: string;
    try {
      text = readFileSync(o.processFile, "utf8");
    } catch (e) {
      throw new ToolError(`exec ${o.id}: --process ${o.processFile}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file or directory" : String(e)}`);
    }
    try {
      return JSON.parse(text) as Process;
    } catch (e) {
      throw new ToolError(`exec ${o.id}: --process ${o.processFile}: ${(e as Error).message}`);
    }
  }
  const base: Process = spec.process ?? ({ cwd: "/", args: [], user: { uid: 0, gid: 0 } } as unknown as Process);
  if (o.args.length === 0) throw new UsageError("exec: a command to run is required (or --process FILE)");
  const p: Process = { ...base, args: [...o.args], terminal: o.tty, env: [...(base.env ?? []), ...o.env] };
  if (o.cwd !== undefined) p.cwd = o.cwd;
  if (o.user !== undefined) {
    const [uid, gid] = o.user.split(":");
    p.user = { ...p.user, uid: parseId("--user uid", uid ?? ""), gid: gid === undefined ? (p.user?.gid ?? 0) : parseId("--user gid", gid) };
  }
  if (o.additionalGids.length > 0) p.user = { ...p.user, uid: p.user?.uid ?? 0, gid: p.user?.gid ?? 0, additionalGids: o.additionalGids.map((g) => parseId("--additional-gids", g)) };
  if (o.caps.length > 0) {
    // runc 1.1: each --cap joins the bounding, effective, permitted and ambient sets.
    const add = (list: readonly string[] | undefined) => [...new Set([...(list ?? []), ...o.caps.map((c) => c.toUpperCase())])];
    const c = p.capabilities ?? {};
    p.capabilities = { ...c, bounding: add(c.bounding), effective: add(c.effective), permitted: add(c.permitted), ambient: add(c.ambient) };
  }
  if (o.noNewPrivs) p.noNewPrivileges = true;
  if (o.apparmor !== undefined) p.apparmorProfile = o.apparmor;
  if (o.processLabel !== undefined) p.selinuxLabel = o.processLabel;
  return p;
}

function describeInitError(e: InitErrorMessage): string {
  if (e.opName === "exec" || e.message.startsWith("exec:")) return e.message;
  const where = e.op >= 0 ? `op ${e.op} (${e.opName}): ` : e.opName && !e.message.startsWith(e.opName) ? `${e.opName}: ` : "";
  const errno = e.errno && e.errno !== "0" && !e.message.includes(e.errno) ? `: ${e.errno}` : "";
  return `${where}${e.message}${errno}`;
}

function writePidFile(path: string, pid: number): void {
  const abs = resolve(path);
  const tmp = `${dirname(abs)}/.${process.pid}.${Date.now()}.tmp`;
  const fd = openSync(tmp, C.O_WRONLY | C.O_CREAT | C.O_TRUNC, 0o644);
  try {
    writeSync(fd, String(pid));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, abs);
}

/** The exec plan: joins, the container's cgroup, [console], the process ops. Pure but for the caps planner import. */
export async function buildExecPlan(rec: ContainerRecord, spec: LoadedSpec, proc: Process, o: { stage0: "exit" | "wait"; preserveFds: number }): Promise<Plan> {
  const [{ composePlan, PlanError }, caps, { specFromValue }] = await Promise.all([import("@oci-tools/plan"), import("@oci-tools/caps"), import("@oci-tools/spec")]);
  let checked: LoadedSpec;
  try {
    // The same schema and semantic checks as config.json's process.
    checked = specFromValue({ ...spec, process: proc }, "process");
  } catch (e) {
    throw new ToolError(`exec ${rec.id}: ${(e as Error).message.replace(/\s*\n\s*/g, "; ")}`);
  }
  const p = checked.process!;
  if (!p.args || p.args.length === 0) throw new ToolError(`exec ${rec.id}: process.args must not be empty`);
  try {
    // A missing AppArmor/SELinux is a planning error, as for create.
    const wantsLsm = Boolean(p.apparmorProfile || p.selinuxLabel);
    const fragment = caps.planProcess(checked, wantsLsm ? { hostLsm: caps.hostLsm() } : {});
    const plan = composePlan({
      containerId: rec.id,
      stage0: o.stage0,
      cgroupProcs: rec.cgroup ? cgroupProcsFiles(rec.cgroup) : [],
      fragments: [{ namespaces: { join: namespaceJoins(rec.pid), create: [] } }, { processOps: fragment.processOps }],
      process: { args: p.args, env: caps.dedupeEnv(p.env ?? []), preserveFds: o.preserveFds },
    });
    // No /dev/console for an exec'd process (runc mounts it for the init only).
    return p.terminal ? withConsole(plan, consoleOp(p.consoleSize, false)) : plan;
  } catch (e) {
    if (e instanceof PlanError) throw new ToolError(`exec ${rec.id}: ${e.message}`);
    throw e;
  }
}

const FORWARDED = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGWINCH", "SIGCONT", "SIGALRM"] as const;

export async function execInContainer(store: StateStore, o: ExecOptions): Promise<number> {
  const dir = store.dir(o.id);
  const rec = store.read(o.id);
  if (!rec) throw errors.notExist(o.id);
  const status = computeStatus(rec, dir);
  if (status === "stopped" || status === "creating") throw new ToolError(`exec ${o.id}: cannot exec in a stopped container`);
  if (status === "paused") throw new ToolError(`exec ${o.id}: cannot exec in a paused container`);

  const { specFromValue } = await import("@oci-tools/spec");
  let spec: LoadedSpec;
  try {
    // The config saved at create (runc's behaviour), checked again as any input is.
    spec = specFromValue(store.readConfig(o.id), `${o.id}'s saved config`);
  } catch (e) {
    throw new ToolError(`exec ${o.id}: ${(e as Error).message.replace(/\s*\n\s*/g, "; ")}`);
  }
  const proc = execProcessSpec(spec, o);
  const stage0 = o.detach ? "exit" : "wait";
  const plan = await buildExecPlan(rec, spec, proc, { stage0, preserveFds: o.preserveFds });
  const { openConsole } = await import("./console-socket.ts");
  const tty = await openConsole({ verb: "exec", id: o.id, terminal: proc.terminal === true, consoleSocket: o.consoleSocket, detach: o.detach });

  // The namespace files name the init by pid: make sure it is still the container's.
  if (!isSameLiveProcess(rec.pid, rec.pidStartTime)) {
    tty?.close();
    throw new ToolError(`exec ${o.id}: cannot exec in a stopped container`);
  }
  const { runInit } = await import("@oci-tools/sys");
  let pid: number | undefined;
  const forward = (sig: NodeJS.Signals) => {
    if (pid === undefined) return;
    try {
      process.kill(pid, sig);
    } catch {
      /* exited meanwhile */
    }
  };
  const master = () => (tty?.kind === "foreground" ? tty.master : undefined);
  const forwarded = tty?.kind === "foreground" ? FORWARDED.filter((s) => s !== "SIGWINCH") : FORWARDED;
  if (!o.detach) for (const s of forwarded) process.on(s, forward);
  try {
    const init = await runInit(plan, {
      preserveFds: Array.from({ length: o.preserveFds }, (_, i) => 3 + i),
      ...(tty ? { onConsole: (fd: number, name: string) => tty.onConsole(fd, name) } : {}),
    });
    pid = init.pid;
    if (init.error) throw new ToolError(`exec ${o.id}: ${describeInitError(init.error)}`);
    if (!init.ready || init.pid === undefined) throw new ToolError(`exec ${o.id}: oci-init exited (status ${await init.exited}) before the process started`);
    if (tty?.error) {
      process.kill(init.pid, 9);
      throw new ToolError(`exec ${o.id}: ${tty.error}`);
    }
    if (o.pidFile) writePidFile(o.pidFile, init.pid);
    if (o.detach) {
      await init.exited;
      return 0;
    }
    const m = master();
    if (m === undefined) return await init.exited;
    const { attachTerminal } = await import("./terminal.ts");
    return await (await attachTerminal(m)).finish(init.exited);
  } catch (e) {
    tty?.close();
    throw e;
  } finally {
    for (const s of forwarded) process.off(s, forward);
  }
}
