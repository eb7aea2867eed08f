/**
 * Mechanism: applying a CgroupPlan to cgroupfs. Synchronous on purpose: these
 * run on oci-run's fast path (kill, delete) where an event loop buys nothing.
 */
import { mkdirSync, readFileSync, readdirSync, rmdirSync, writeFileSync, existsSync } from "node:fs";
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

/**
 * mkdir -p every directory, then write the limits. Returns the dirs that did
 * not exist before (for rollback). If a step fails, the directories it made
 * (parents included) are removed again before the error is thrown.
 */
export function createCgroup(plan: CgroupPlan): string[] {
  const created: string[] = [];
  /** Per directory made: the leaf and the topmost directory mkdir -p had to create. */
  const made: { leaf: string; top: string }[] = [];
  try {
    for (const d of plan.dirs) {
      try {
        const top = mkdirSync(d.path, { recursive: true, mode: 0o755 });
        if (top !== undefined) {
          created.push(d.path);
          made.push({ leaf: d.path, top });
        }
      } catch (e) {
        throw new CgroupError(`mkdir ${d.path}: ${errCode(e) ?? String(e)}`, d.path, errCode(e));
      }
    }
    applyLimits(plan);
  } catch (e) {
    for (const { leaf, top } of made.reverse()) {
      for (let dir = leaf; dir.length >= top.length; dir = dir.slice(0, dir.lastIndexOf("/"))) {
        try {
          rmdirSync(dir);
        } catch {
          break; // best effort: delete/--force still finds the leaf from the plan
        }
      }
    }
    throw e;
  }
  return created;
}

function applyLimits(plan: CgroupPlan): void {
  for (const d of plan.dirs) if (d.controllers.includes("cpuset")) inheritCpuset(d.path);
  if (plan.version === "v2") for (const d of plan.dirs) enableControllersAbove(d.path);
  for (const l of plan.limits) {
    try {
      writeFileSync(l.file, l.value);
    } catch (e) {
      const code = errCode(e);
      // v2: a limit file exists only if the controller is enabled in the parent's
      // subtree_control; writing a missing one fails with EACCES (cgroupfs cannot create files).
      const why = plan.version === "v2" && !existsSync(l.file) ? ` (${whyNoController(l.file)})` : "";
      throw new CgroupError(`write ${l.value} to ${l.file}: ${code ?? String(e)}${why}`, l.file, code);
    }
  }
}

/** Names the ancestor that offers a limit file's controller but does not pass it down, and why if we know. */
function whyNoController(file: string): string {
  const base = file.slice(file.lastIndexOf("/") + 1);
  const ctrl = base.slice(0, base.indexOf("."));
  const words = (f: string) => {
    try {
      return readFileSync(f, "utf8").trim().split(/\s+/);
    } catch {
      return [];
    }
  };
  let dir = file.slice(0, file.lastIndexOf("/"));
  while ((dir = dir.slice(0, dir.lastIndexOf("/"))) !== "" && existsSync(`${dir}/cgroup.subtree_control`)) {
    if (!words(`${dir}/cgroup.controllers`).includes(ctrl)) continue;
    const busy = existsSync(`${dir}/cgroup.type`) && words(`${dir}/cgroup.procs`).some((w) => w !== "");
    return `no such file: the ${ctrl} controller is not enabled in ${dir}/cgroup.subtree_control${busy ? ", and cannot be: that cgroup has processes of its own" : ""}`;
  }
  return `no such file: the ${ctrl} controller is not available here`;
}

/**
 * cgroup v2: a cgroup has a controller's files (pids.max, memory.max, …)
 * only when its parent lists the controller in cgroup.subtree_control. Like
 * runc (fs2.CreateCgroupPath), enable every available controller in each
 * ancestor, top-down from the mount's root to the leaf's parent, one at a
 * time when the whole set is refused. Failures are tolerated (a delegated
 * subtree may not offer everything); a limit that then cannot be written
 * fails with its own error.
 *
 * Skipped: a non-root cgroup that has processes of its own (typically the
 * runtime's own cgroup, for a relative cgroupsPath). The kernel refuses
 * domain controllers there (EBUSY, no internal processes) but accepts the
 * threaded ones (cpu, cpuset, pids) alone, and that makes it a thread root
 * with processes: every domain cgroup below it then refuses new members with
 * EOPNOTSUPP, so the container's init could not join its cgroup.
 */
function enableControllersAbove(leaf: string): void {
  const chain: string[] = [];
  for (let dir = leaf.slice(0, leaf.lastIndexOf("/")); dir !== "" && existsSync(`${dir}/cgroup.subtree_control`); dir = dir.slice(0, dir.lastIndexOf("/"))) {
    chain.unshift(dir);
  }
  for (const dir of chain) {
    let available: string[];
    let enabled: Set<string>;
    try {
      // The root cgroup has no cgroup.type (and may mix processes and controllers).
      const isRoot = !existsSync(`${dir}/cgroup.type`);
      if (!isRoot && (readFileSync(`${dir}/cgroup.type`, "utf8").trim() !== "domain" || readFileSync(`${dir}/cgroup.procs`, "utf8") !== "")) continue;
      available = readFileSync(`${dir}/cgroup.controllers`, "utf8").trim().split(/\s+/).filter(Boolean);
      enabled = new Set(readFileSync(`${dir}/cgroup.subtree_control`, "utf8").trim().split(/\s+/).filter(Boolean));
    } catch {
      continue;
    }
    const missing = available.filter((c) => !enabled.has(c));
    if (missing.length === 0) continue;
    try {
      writeFileSync(`${dir}/cgroup.subtree_control`, missing.map((c) => `+${c}`).join(" "));
    } catch {
      for (const c of missing) {
        try {
          writeFileSync(`${dir}/cgroup.subtree_control`, `+${c}`);
        } catch {
          // See above: tolerated here, reported by the limit write that needs it.
        }
      }
    }
  }
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

/** The cgroup directories below `dir` (a container may make its own), deepest first. */
function descendants(dir: string): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    if (errCode(e) === "ENOENT") return [];
    throw new CgroupError(`read ${dir}: ${errCode(e) ?? String(e)}`, dir, errCode(e));
  }
  const out: string[] = [];
  for (const e of entries) {
    if (!e.isDirectory()) continue;
    const sub = `${dir}/${e.name}`;
    out.push(...descendants(sub), sub);
  }
  return out;
}

/**
 * Every pid in the container's cgroup (union over hierarchies), sorted.
 * Includes the sub-cgroups: cgroup.procs lists only a cgroup's own members,
 * and a container that was delegated its cgroup (v2, cgroupns) may move its
 * processes further down, where a top-level read would miss them.
 */
export function listPids(plan: CgroupPlan): number[] {
  const all = new Set<number>();
  for (const d of plan.dirs) {
    for (const p of readProcs(d.path)) all.add(p);
    for (const sub of descendants(d.path)) for (const p of readProcs(sub)) all.add(p);
  }
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
 * Removes the container's directories (the leaves, and any sub-cgroups the
 * container made in them, deepest first, like runc's RemovePath; parents
 * created for an absolute path are left, as runc does). Retries while
 * exiting tasks linger (rmdir gives EBUSY until the last one is gone).
 */
export function destroyCgroup(plan: CgroupPlan, timeoutMs = 2000): void {
  const deadline = Date.now() + timeoutMs;
  for (const d of plan.dirs) {
    for (const path of [...descendants(d.path), d.path]) {
      for (;;) {
        try {
          rmdirSync(path);
          break;
        } catch (e) {
          const code = errCode(e);
          if (code === "ENOENT") break;
          if (code === "EBUSY" && Date.now() < deadline) {
            sleepMs(2);
            continue;
          }
          throw new CgroupError(`rmdir ${path}: ${code ?? String(e)}`, path, code);
        }
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
