/**
 * The fast-path commands: state, list, start, kill, delete, stop. They load
 * only node:fs, the state store and the cgroup mechanism (no yargs, ajv,
 * pino or koffi — DESIGN.md "Fast path").
 */

import { destroyCgroup, killAll, listPids, thaw, isFrozen, type CgroupPlan } from "@oci-tools/cgroup";
import { ToolError } from "@oci-tools/cli";
import { errors } from "./errors.ts";
import { runPoststart, runPoststop, stderrWarn, type Warn } from "./hooks.ts";
import { releaseFifo } from "./fifo.ts";
import { acquireLock, type Lock } from "./lock.ts";
import { isSameLiveProcess } from "./proc.ts";
import { EXEC_FIFO, LOCK_FILE, type ContainerRecord, type StateStore } from "./state.ts";
import { computeStatus, specState, userName, type SpecState, type Status } from "./status.ts";

function lockContainer(store: StateStore, id: string, what: string): Lock {
  const dir = store.dir(id);
  try {
    return acquireLock(`${dir}/${LOCK_FILE}`, `${what} ${id}`);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT" || (e as NodeJS.ErrnoException).code === "ENOTDIR") throw errors.notExist(id);
    throw e;
  }
}

function mustRead(store: StateStore, id: string): ContainerRecord {
  const rec = store.read(id);
  if (!rec) throw errors.notExist(id);
  return rec;
}

export function containerState(store: StateStore, id: string): SpecState {
  const rec = mustRead(store, id);
  return specState(rec, computeStatus(rec, store.dir(id)), "");
}

/** `state`: runc's JSON, 2-space indent, no trailing newline. */
export function formatState(s: SpecState): string {
  return JSON.stringify(s, null, 2);
}

export function listContainers(store: StateStore): SpecState[] {
  const out: SpecState[] = [];
  const names = new Map<number, string>();
  for (const id of store.ids()) {
    let rec: ContainerRecord | undefined;
    try {
      rec = store.read(id);
    } catch {
      continue; // deleted meanwhile or unreadable: skip like runc
    }
    if (!rec) continue;
    let owner = names.get(rec.ownerUid);
    if (owner === undefined) names.set(rec.ownerUid, (owner = userName(rec.ownerUid)));
    out.push(specState(rec, computeStatus(rec, store.dir(id)), owner));
  }
  return out;
}

/** runc's table: Go tabwriter(minwidth 12, padding 3); the last column unpadded. */
export function formatTable(rows: readonly SpecState[]): string {
  const table = [["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"], ...rows.map((r) => [r.id, String(r.pid), r.status, r.bundle, r.created, r.owner])];
  const widths = [0, 1, 2, 3, 4].map((c) => Math.max(12, ...table.map((row) => row[c]!.length + 3)));
  return table.map((row) => row.map((cell, c) => (c < 5 ? cell.padEnd(widths[c]!) : cell)).join("") + "\n").join("");
}

export function formatListJson(rows: readonly SpecState[]): string {
  return rows.length === 0 ? "null\n" : `${JSON.stringify(rows)}\n`;
}

export async function startContainer(store: StateStore, id: string): Promise<void> {
  const lock = lockContainer(store, id, "start");
  try {
    const rec = mustRead(store, id);
    const dir = store.dir(id);
    const status = computeStatus(rec, dir);
    if (status !== "created") {
      if (status === "stopped") throw new ToolError(`cannot start container ${id}: it has stopped (container not running)`);
      throw new ToolError(`cannot start container ${id}: it is ${status}, not created`);
    }
    releaseFifo(`${dir}/${EXEC_FIFO}`, () => isSameLiveProcess(rec.pid, rec.pidStartTime), `start ${id}`);
    await afterStart(rec, id);
  } finally {
    lock.release();
  }
}

/** Once the process runs: poststart hooks; runc kills the container when one fails (delete, with its poststop hooks, stays the caller's). */
export async function afterStart(rec: ContainerRecord, id: string): Promise<void> {
  if (!rec.hooks?.poststart) return;
  try {
    await runPoststart(rec);
  } catch (e) {
    if (rec.cgroup) killAll(rec.cgroup, 9);
    else if (isSameLiveProcess(rec.pid, rec.pidStartTime)) process.kill(rec.pid, 9);
    throw new ToolError(`start ${id}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

export function killContainer(store: StateStore, id: string, signal: number, all: boolean): void {
  const rec = mustRead(store, id);
  const status = computeStatus(rec, store.dir(id));
  if (all && rec.cgroup) {
    // --all also reaches the processes of a container whose init already exited.
    if (listPids(rec.cgroup).length === 0 && status === "stopped") throw errors.notRunning(id);
    killAll(rec.cgroup, signal);
    return;
  }
  if (status === "stopped" || status === "creating") throw errors.notRunning(id);
  try {
    process.kill(rec.pid, signal);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ESRCH") throw new ToolError(`container ${id}: no such process`);
    throw e;
  }
}

function waitCgroupEmpty(plan: CgroupPlan, timeoutMs: number): boolean {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (listPids(plan).length === 0) return true;
    if (Date.now() > deadline) return false;
    Bun.sleepSync(1);
  }
}

/**
 * Removes everything a container (or a create that crashed half-way) owns:
 * its processes (SIGKILL to the whole cgroup), the cgroup and the state
 * directory. Used by delete and by create's rollback.
 */
export function destroyContainer(store: StateStore, id: string, rec: ContainerRecord | undefined, o: { keepState?: boolean } = {}): void {
  if (rec?.cgroup) {
    const cg = rec.cgroup;
    // Kill and remove until the cgroup is gone: a process may still be on its
    // way in (oci-init joins the cgroup itself), so EBUSY means "kill again".
    for (let attempt = 0; ; attempt++) {
      if (listPids(cg).length > 0) {
        killAll(cg, 9);
        if (isFrozen(cg)) thaw(cg); // a frozen process acts on SIGKILL only once thawed
        waitCgroupEmpty(cg, 100);
      }
      try {
        destroyCgroup(cg, 100);
        break;
      } catch (e) {
        if (attempt >= 50 || (e as { code?: string }).code !== "EBUSY") throw e;
      }
    }
  } else if (rec && rec.pid > 0 && isSameLiveProcess(rec.pid, rec.pidStartTime)) {
    process.kill(rec.pid, 9);
  }
  if (!o.keepState) store.remove(id);
}

/**
 * destroyContainer, then the poststop hooks (runtime-spec: once the container
 * is deleted; failures are warnings). They are claimed in the record before
 * they run and the state directory goes last: a delete killed meanwhile is
 * finished by the next one, which does not run them again.
 */
export async function destroyWithHooks(store: StateStore, id: string, rec: ContainerRecord | undefined, warn: Warn = stderrWarn): Promise<void> {
  if (!rec?.hooks?.poststop || rec.poststopClaimed) return destroyContainer(store, id, rec);
  destroyContainer(store, id, rec, { keepState: true });
  store.write({ ...rec, poststopClaimed: true });
  await runPoststop(rec, warn);
  store.remove(id);
}

export async function deleteContainer(store: StateStore, id: string, force: boolean, warn: Warn = stderrWarn): Promise<void> {
  if (!store.exists(id)) {
    if (force) return; // containerd's cleanup deletes twice and needs exit 0
    throw errors.notExist(id);
  }
  let lock: Lock;
  try {
    lock = lockContainer(store, id, "delete");
  } catch (e) {
    if (force && e instanceof ToolError && e.message.includes("does not exist")) return;
    throw e;
  }
  try {
    const rec = store.read(id);
    const status: Status = rec ? computeStatus(rec, store.dir(id)) : "stopped";
    if (!force && (status === "running" || status === "paused" || status === "creating")) throw errors.notStopped(id, status);
    await destroyWithHooks(store, id, rec, warn);
  } finally {
    lock.release();
  }
}

/** `stop`: SIGTERM, wait up to timeoutS for the init to exit, then SIGKILL the whole cgroup. */
export async function stopContainer(store: StateStore, id: string, timeoutS: number): Promise<void> {
  const rec = mustRead(store, id);
  const dir = store.dir(id);
  const status = computeStatus(rec, dir);
  if (status === "stopped") return;
  if (status === "creating") throw errors.notRunning(id);
  if (status === "paused" && rec.cgroup) thaw(rec.cgroup);
  try {
    process.kill(rec.pid, 15);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ESRCH") throw e;
  }
  const deadline = Date.now() + timeoutS * 1000;
  while (Date.now() < deadline) {
    if (!isSameLiveProcess(rec.pid, rec.pidStartTime)) return;
    await Bun.sleep(10);
  }
  if (rec.cgroup) killAll(rec.cgroup, 9);
  else if (isSameLiveProcess(rec.pid, rec.pidStartTime)) process.kill(rec.pid, 9);
  const killDeadline = Date.now() + 5000;
  while (isSameLiveProcess(rec.pid, rec.pidStartTime)) {
    if (Date.now() > killDeadline) throw new ToolError(`stop ${id}: the init did not exit after SIGKILL`);
    await Bun.sleep(5);
  }
}

