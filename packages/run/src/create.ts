/**
 * `create` (and the first half of `run`): bundle → state dir → cgroup → Plan →
 * oci-init, leaving the container's init blocked on the exec fifo.
 *
 * Safety rule 6: from the moment the state directory exists, every failure or
 * interruption (SIGINT/SIGTERM/SIGHUP) runs the rollback — kill the cgroup's
 * processes, remove the cgroup and the state directory. Against SIGKILL the
 * record is written *before* each resource is made, so `delete --force`
 * finds everything a crashed create left (all its processes are in the
 * cgroup: oci-init joins it before it clones).
 */
import { closeSync, fsyncSync, openSync, renameSync, statSync, writeSync, constants as C } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { cgroupProcsFiles, createCgroup, detectHost, planCgroup, warmAttachLock } from "@oci-tools/cgroup";
import { ToolError } from "@oci-tools/cli";
import { errors } from "./errors.ts";
import type { InitErrorMessage, InitRun } from "@oci-tools/sys";
import type { ConsoleHandle } from "./console-socket.ts";
import { acquireLock, type Lock } from "./lock.ts";
import { buildPlan, loadBundleSpec } from "./planner.ts";
import { readProcStat } from "./proc.ts";
import { EXEC_FIFO, LOCK_FILE, type ContainerRecord, type StateStore } from "./state.ts";
import { destroyContainer } from "./lifecycle.ts";
import { hasHooks, needsSync, recordedHooks, runCreateHooks, runPoststop } from "./hooks.ts";
import { rfc3339Nano } from "./timefmt.ts";
import { SPEC_VERSION } from "./version.ts";

export interface CreateOptions {
  readonly id: string;
  readonly bundle: string;
  readonly pidFile?: string | undefined;
  readonly consoleSocket?: string | undefined;
  readonly noPivot: boolean;
  readonly noNewKeyring: boolean;
  readonly preserveFds: number;
  readonly systemdCgroup: boolean;
  /** "exit" for create; "wait" for a foreground run (oci-init's stage 0 then exits with the container's status). */
  readonly stage0: "exit" | "wait";
  /**
   * `run`: no exec fifo — the process starts as soon as it is ready, which
   * saves `run` a start round trip (state, lock, fifo) on its hot path.
   */
  readonly startAtOnce?: boolean;
}

export interface Created {
  readonly record: ContainerRecord;
  readonly init: InitRun;
  /** process.terminal: where the pty master went (foreground: held for terminal.ts). */
  readonly console?: ConsoleHandle | undefined;
}

function writeFileAtomic(path: string, text: string): void {
  const tmp = `${dirname(path)}/.${process.pid}.${Date.now()}.tmp`;
  const fd = openSync(tmp, C.O_WRONLY | C.O_CREAT | C.O_TRUNC, 0o644);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/** "op 3 (mount): mount /proc: EPERM"; exec lookups already read like runc's ("executable file not found in $PATH"). */
function describeInitError(e: InitErrorMessage): string {
  const where = e.op >= 0 ? `op ${e.op} (${e.opName}): ` : e.opName && !e.message.startsWith(e.opName) ? `${e.opName}: ` : "";
  const errno = e.errno && e.errno !== "0" && !e.message.includes(e.errno) ? `: ${e.errno}` : "";
  return `${where}${e.message}${errno}`;
}

/**
 * Fault injection for the crash-safety tests: OCI_RUN_CRASH_AT=<point> makes
 * create SIGKILL itself there, so `delete --force` is tested against every
 * partial state create can leave (a real SIGKILL: no handler, no rollback).
 */
function crashPoint(point: string): void {
  if (process.env.OCI_RUN_CRASH_AT === point) process.kill(process.pid, "SIGKILL");
}

const SIGNUMS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGTERM: 15 };
const signalStatus = (sig: string) => 128 + (SIGNUMS[sig] ?? 0);

const INTERRUPTS = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT"] as const;

export async function createContainer(store: StateStore, o: CreateOptions): Promise<Created> {
  const dir = store.dir(o.id); // validates the id before anything touches the disk
  const bundle = resolve(o.bundle);
  if (store.exists(o.id)) throw errors.alreadyExists(o.id);
  const host = detectHost();
  // The kernel's cgroup attach lock needs a grace period on first use: start it now, in the background.
  void warmAttachLock(host.layout, host.own);

  const spec = await loadBundleSpec(bundle, o.id);
  const hooks = hasHooks(spec.hooks) ? spec.hooks : undefined;
  const rootfs = isAbsolute(spec.root.path) ? spec.root.path : resolve(bundle, spec.root.path);
  let rootStat;
  try {
    rootStat = statSync(rootfs);
  } catch {
    throw new ToolError(`create ${o.id}: rootfs ${rootfs}: no such file or directory`);
  }
  if (!rootStat.isDirectory()) throw new ToolError(`create ${o.id}: rootfs ${rootfs}: not a directory`);

  const cgroup = planCgroup({
    layout: host.layout,
    own: host.own,
    id: o.id,
    cgroupsPath: spec.linux?.cgroupsPath,
    systemd: o.systemdCgroup,
    resources: spec.linux?.resources,
  });

  // Planning is pure: do it before anything exists on disk, so a config the
  // planners refuse fails without anything to clean up.
  const fifo = `${dir}/${EXEC_FIFO}`;
  const plan = await buildPlan(spec, {
    id: o.id,
    bundle,
    rootfs,
    stage0: o.stage0,
    cgroupProcs: cgroupProcsFiles(cgroup),
    execFifo: o.startAtOnce ? undefined : fifo,
    noPivot: o.noPivot,
    noNewKeyring: o.noNewKeyring,
    preserveFds: o.preserveFds,
  }, { layout: host.layout, cgroup });
  // Where the pty master goes (a console socket is connected now): a bad combination or path fails before anything exists.
  const tty =
    spec.process?.terminal || o.consoleSocket
      ? await (await import("./console-socket.ts")).openConsole({ verb: "create", id: o.id, terminal: spec.process?.terminal === true, consoleSocket: o.consoleSocket, detach: o.stage0 === "exit" })
      : undefined;

  let record: ContainerRecord = {
    // The state's ociVersion is the runtime-spec version the *state* follows (runc prints its own), not the config's.
    ociVersion: SPEC_VERSION,
    id: o.id,
    pid: 0,
    pidStartTime: 0,
    phase: "creating",
    bundle,
    rootfs,
    created: rfc3339Nano(),
    annotations: spec.annotations ?? {},
    ownerUid: process.getuid?.() ?? 0,
    cgroup,
    systemdCgroup: o.systemdCgroup,
    ...(hooks && recordedHooks(hooks) ? { hooks: recordedHooks(hooks) } : {}),
  };
  let lock: Lock | undefined;
  let dirMade = false;
  let interrupted: string | undefined;
  let rollingBack = false;
  let initProc: { kill(signal?: number): void } | undefined;
  const rollback = () => {
    if (rollingBack) return;
    rollingBack = true;
    try {
      initProc?.kill(9); // stage 0, if it still runs: it must not join the cgroup after we emptied it
      if (dirMade) destroyContainer(store, o.id, record);
    } catch {
      // Best effort: what is left is still recorded for delete --force.
    }
  };
  let committed = false;
  const onSignal = (sig: string) => {
    // Once the container is recorded as created, it is the caller's: an
    // interrupt now must neither undo it nor make us report failure for it.
    if (committed) return;
    if (interrupted === undefined) {
      // The main flow notices at its next step (at the latest when oci-init
      // answers) and rolls back knowing every process it started.
      interrupted = sig;
      return;
    }
    // A second signal: do not wait for oci-init any longer.
    rollback();
    lock?.release();
    process.exit(signalStatus(sig));
  };
  for (const s of INTERRUPTS) process.on(s, onSignal);
  // From here on an interrupt is noted and acted on at the next step.
  try {
    store.createDir(o.id); // EEXIST → "already exists" (the atomic check)
  } catch (e) {
    for (const s of INTERRUPTS) process.off(s, onSignal);
    tty?.close();
    throw e;
  }
  dirMade = true;
  crashPoint("dir");
  lock = acquireLock(`${dir}/${LOCK_FILE}`, `create ${o.id}`);
  crashPoint("lock");

  try {
    // Recorded before the cgroup exists. No fsync: this record only has to
    // survive our own death (the page cache does), and after a power loss
    // there is no process or cgroup left to clean up.
    store.write(record, { durable: false });
    store.writeConfig(o.id, spec);
    crashPoint("record");
    if (interrupted) throw new ToolError(`create ${o.id}: interrupted by ${interrupted}`, signalStatus(interrupted));
    createCgroup(cgroup);
    crashPoint("cgroup");
    const { runInit } = await import("@oci-tools/sys");
    if (interrupted) throw new ToolError(`create ${o.id}: interrupted by ${interrupted}`, signalStatus(interrupted));
    // prestart/createRuntime run while stage 1 waits at the sync op (hooks.ts); their failure aborts it.
    let hookFailure: string | undefined;
    const onSync = async (_point: string, { pid }: { readonly pid: number | undefined }) => {
      const answer = await runCreateHooks(hooks!, record, pid ?? 0, () => interrupted);
      if ("abort" in answer) hookFailure = answer.abort;
      return answer;
    };
    const init = await runInit(plan, {
      preserveFds: Array.from({ length: o.preserveFds }, (_, i) => 3 + i),
      ...(hooks && needsSync(hooks) ? { onSync } : {}),
      ...(tty ? { onConsole: (fd: number, name: string) => tty.onConsole(fd, name) } : {}),
    });
    initProc = init.proc;
    if (init.pid !== undefined) {
      record = { ...record, pid: init.pid, pidStartTime: readProcStat(init.pid)?.startTime ?? 0 };
    }
    crashPoint("init");
    // A hook's failure reads as the hook's own message (runc: "error running hook #0: …").
    if (init.error && interrupted) throw new ToolError(`create ${o.id}: interrupted by ${interrupted}`, signalStatus(interrupted));
    if (init.error && hookFailure !== undefined) throw new ToolError(`create ${o.id}: ${hookFailure}`);
    if (init.error?.opName === "hook") throw new ToolError(`create ${o.id}: ${init.error.message}`);
    if (init.error) throw new ToolError(`create ${o.id}: ${describeInitError(init.error)}`);
    if (!init.ready || init.pid === undefined) {
      throw new ToolError(`create ${o.id}: oci-init exited (status ${await init.exited}) before the container was ready`);
    }
    if (interrupted) throw new ToolError(`create ${o.id}: interrupted by ${interrupted}`, signalStatus(interrupted));
    if (tty?.error) throw new ToolError(`create ${o.id}: ${tty.error}`);
    if (o.pidFile) writeFileAtomic(resolve(o.pidFile), String(record.pid));
    record = { ...record, phase: "created" };
    store.write(record);
    committed = true;
    crashPoint("created");
    return { record, init, console: tty };
  } catch (e) {
    tty?.close();
    rollback();
    // runc runs poststop when a create it started fails (runtime-spec: a failed prestart continues at delete).
    // Their warnings join the one error line: podman reads a failed command's JSON log as a single object.
    const warnings: string[] = [];
    if (dirMade && record.hooks?.poststop) await runPoststop(record, (m) => void warnings.push(m), bundle);
    const also = warnings.length ? `; then ${warnings.join("; ")}` : "";
    if (e instanceof ToolError) throw also ? new ToolError(`${e.message}${also}`, e.exitCode, { cause: e }) : e;
    throw new ToolError(`create ${o.id}: ${e instanceof Error ? e.message : String(e)}${also}`, 1, { cause: e });
  } finally {
    // Failed: restore default signal handling. Committed: keep the (now no-op)
    // handlers so a late SIGINT cannot kill us with a misleading status.
    if (!committed) for (const s of INTERRUPTS) process.off(s, onSignal);
    lock?.release();
  }
}

