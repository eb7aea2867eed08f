/**
 * Mechanism: applying a CgroupPlan to cgroupfs. Synchronous on purpose: these
 * run on oci-run's fast path (kill, delete) where an event loop buys nothing.
 */
import { mkdirSync, readFileSync, rmdirSync, writeFileSync, existsSync } from "node:fs";
import { parseCgroupLayout, parseProcCgroup, type CgroupLayout } from "./layout.ts";
import type { CgroupPlan } from "./plan.ts";

export class CgroupError extends Error {
  constructor(
    message: string,
    readonly path: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

function errCode(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException)?.code;
}

function sleepMs(ms: number): void {
  Bun.sleepSync(ms);
}

/** Reads the host's layout and the runtime's own cgroups. */
export function detectHost(): { layout: CgroupLayout; own: Map<string, string> } {
  return {
    layout: parseCgroupLayout(readFileSync("/proc/self/mountinfo", "utf8")),
    own: parseProcCgroup(readFileSync("/proc/self/cgroup", "utf8")),
  };
}

export function detectLayout(): CgroupLayout {
  return parseCgroupLayout(readFileSync("/proc/self/mountinfo", "utf8"));
}

/** mkdir -p every directory, then write the limits. Returns the dirs that did not exist before (for rollback). */
export function createCgroup(plan: CgroupPlan): string[] {
  const created: string[] = [];
  for (const d of plan.dirs) {
    try {
      const first = mkdirSync(d.path, { recursive: true, mode: 0o755 });
      if (first !== undefined) created.push(d.path);
    } catch (e) {
      throw new CgroupError(`mkdir ${d.path}: ${errCode(e) ?? String(e)}`, d.path, errCode(e));
    }
  }
  for (const d of plan.dirs) if (d.controllers.includes("cpuset")) inheritCpuset(d.path);
  for (const l of plan.limits) {
    try {
      writeFileSync(l.file, l.value);
    } catch (e) {
      throw new CgroupError(`write ${l.value} to ${l.file}: ${errCode(e) ?? String(e)}`, l.file, errCode(e));
    }
  }
  return created;
}

/**
 * A new v1 cpuset cgroup starts with empty cpuset.cpus/mems, and joining it
 * fails with ENOSPC; like runc, copy them down from the nearest parent that
 * has them, level by level.
 */
function inheritCpuset(leaf: string): void {
  const chain: string[] = [];
  for (let dir = leaf; existsSync(`${dir}/cpuset.cpus`); dir = dir.slice(0, dir.lastIndexOf("/"))) chain.unshift(dir);
  for (let i = 1; i < chain.length; i++) {
    for (const file of ["cpuset.cpus", "cpuset.mems"]) {
      const own = `${chain[i]}/${file}`;
      if (readFileSync(own, "utf8").trim() !== "") continue;
      writeFileSync(own, readFileSync(`${chain[i - 1]}/${file}`, "utf8").trim());
    }
  }
}

function readProcs(dir: string): number[] {
  let text: string;
  try {
    text = readFileSync(`${dir}/cgroup.procs`, "utf8");
  } catch (e) {
    if (errCode(e) === "ENOENT") return [];
    throw new CgroupError(`read ${dir}/cgroup.procs: ${errCode(e) ?? String(e)}`, dir, errCode(e));
  }
  const out: number[] = [];
  for (const l of text.split("\n")) if (l !== "") out.push(Number(l));
  return out;
}

/** Every pid in the container's cgroup (union over hierarchies), sorted. */
export function listPids(plan: CgroupPlan): number[] {
  const all = new Set<number>();
  for (const d of plan.dirs) for (const p of readProcs(d.path)) all.add(p);
  return [...all].sort((a, b) => a - b);
}

export function cgroupExists(plan: CgroupPlan): boolean {
  return plan.dirs.some((d) => existsSync(d.path));
}

export function isFrozen(plan: CgroupPlan): boolean {
  const f = plan.freezer;
  if (!f) return false;
  try {
    if (f.kind === "v1") return readFileSync(`${f.dir}/freezer.state`, "utf8").trim() === "FROZEN";
    return /^frozen 1$/m.test(readFileSync(`${f.dir}/cgroup.events`, "utf8"));
  } catch {
    return false;
  }
}

/** Freezes and waits until the kernel reports the whole cgroup frozen (v1 passes through FREEZING). */
export function freeze(plan: CgroupPlan, timeoutMs = 2000): void {
  const f = plan.freezer;
  if (!f) throw new CgroupError("no freezer controller available", plan.dirs[0]?.path ?? "");
  const deadline = Date.now() + timeoutMs;
  if (f.kind === "v1") {
    for (;;) {
      writeFileSync(`${f.dir}/freezer.state`, "FROZEN");
      if (readFileSync(`${f.dir}/freezer.state`, "utf8").trim() === "FROZEN") return;
      if (Date.now() > deadline) {
        writeFileSync(`${f.dir}/freezer.state`, "THAWED");
        throw new CgroupError(`freeze ${f.dir}: timed out`, f.dir, "ETIMEDOUT");
      }
      sleepMs(1);
    }
  }
  writeFileSync(`${f.dir}/cgroup.freeze`, "1");
  while (!isFrozen(plan)) {
    if (Date.now() > deadline) {
      writeFileSync(`${f.dir}/cgroup.freeze`, "0");
      throw new CgroupError(`freeze ${f.dir}: timed out`, f.dir, "ETIMEDOUT");
    }
    sleepMs(1);
  }
}

export function thaw(plan: CgroupPlan): void {
  const f = plan.freezer;
  if (!f) throw new CgroupError("no freezer controller available", plan.dirs[0]?.path ?? "");
  if (f.kind === "v1") writeFileSync(`${f.dir}/freezer.state`, "THAWED");
  else writeFileSync(`${f.dir}/cgroup.freeze`, "0");
}

function signalPid(pid: number, signal: number): void {
  try {
    process.kill(pid, signal);
  } catch (e) {
    if (errCode(e) !== "ESRCH") throw e;
  }
}

/**
 * Signals every process of the cgroup. SIGKILL on v2 uses cgroup.kill (atomic,
 * no fork race). Otherwise the cgroup is frozen first so no process can fork
 * a child we would miss, every pid is signalled, and the cgroup is thawed
 * (a frozen process only acts on the signal once thawed).
 */
export function killAll(plan: CgroupPlan, signal: number): number {
  const f = plan.freezer;
  if (signal === 9 && f?.kind === "v2" && existsSync(`${f.dir}/cgroup.kill`)) {
    const n = listPids(plan).length;
    writeFileSync(`${f.dir}/cgroup.kill`, "1");
    return n;
  }
  const wasFrozen = isFrozen(plan);
  let froze = false;
  if (f && !wasFrozen && cgroupExists(plan)) {
    try {
      freeze(plan);
      froze = true;
    } catch (e) {
      if (errCode(e) !== "ENOENT") throw e;
    }
  }
  try {
    const pids = listPids(plan);
    for (const pid of pids) signalPid(pid, signal);
    return pids.length;
  } finally {
    if (froze && !wasFrozen) {
      try {
        thaw(plan);
      } catch (e) {
        if (errCode(e) !== "ENOENT") throw e;
      }
    }
  }
}

/**
 * Removes the container's directories (the leaves; parents created for an
 * absolute path are left, as runc does). Retries while exiting tasks linger
 * (rmdir gives EBUSY until the last one is reaped).
 */
export function destroyCgroup(plan: CgroupPlan, timeoutMs = 2000): void {
  const deadline = Date.now() + timeoutMs;
  for (const d of plan.dirs) {
    for (;;) {
      try {
        rmdirSync(d.path);
        break;
      } catch (e) {
        const code = errCode(e);
        if (code === "ENOENT") break;
        if (code === "EBUSY" && Date.now() < deadline) {
          sleepMs(2);
          continue;
        }
        throw new CgroupError(`rmdir ${d.path}: ${code ?? String(e)}`, d.path, code);
      }
    }
  }
}

/** Moves a pid (0: the caller) into every directory of the cgroup (cgexec). */
export function joinCgroup(plan: CgroupPlan, pid = 0): void {
  for (const d of plan.dirs) {
    const file = `${d.path}/cgroup.procs`;
    try {
      writeFileSync(file, String(pid === 0 ? process.pid : pid));
    } catch (e) {
      throw new CgroupError(`write ${file}: ${errCode(e) ?? String(e)}`, file, errCode(e));
    }
  }
}
