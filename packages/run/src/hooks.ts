/**
 * OCI hooks in oci-run's lifecycle (runtime-spec 1.2 "Lifecycle", runc 1.1):
 *
 *   create  stage 1 stops at a "sync" op after the mounts, before pivot_root;
 *           prestart then createRuntime run here on the host (status
 *           "creating", pid = the init's host pid, cwd = the bundle). The
 *           answer carries the state JSON native gives the createContainer
 *           "hook" ops (right after the sync, in the container's namespaces,
 *           paths on the host) and process.startHooks (after the exec fifo,
 *           inside the container's root).
 *   start   poststart on the host after the fifo released the process
 *           (status "running"); a failure kills the container and fails start.
 *   delete  poststop on the host once the container is gone (status
 *           "stopped", no pid); failures are warnings. Claimed in the record
 *           before they run, so a retried delete never runs them twice.
 *
 * @oci-tools/hook is imported only when a container has hooks (DESIGN.md
 * "Fast path"); this module itself imports nothing heavy.
 */
import { readFileSync, writeSync } from "node:fs";
import type { Hook, Hooks } from "@oci-tools/spec";
import type { Op, Plan } from "@oci-tools/plan";
import type { State } from "@oci-tools/hook";
import type { ContainerRecord } from "./state.ts";

type HookOp = Extract<Op, { op: "hook" }>;

/** The lists create needs stage 1 to stop for (or to hand states to). */
const SYNC_LISTS = ["prestart", "createRuntime", "createContainer", "startContainer"] as const;

const nonEmpty = (l: readonly Hook[] | undefined): l is Hook[] => (l?.length ?? 0) > 0;

export function hasHooks(hooks: Hooks | undefined): boolean {
  return Object.values(hooks ?? {}).some(nonEmpty);
}

/** The hooks oci-run runs after create returned (kept in the record: the bundle may change or vanish). */
export function recordedHooks(hooks: Hooks | undefined): ContainerRecord["hooks"] {
  const out: { poststart?: Hook[]; poststop?: Hook[] } = {};
  if (nonEmpty(hooks?.poststart)) out.poststart = hooks.poststart;
  if (nonEmpty(hooks?.poststop)) out.poststop = hooks.poststop;
  return out.poststart || out.poststop ? out : undefined;
}

export function needsSync(hooks: Hooks | undefined): boolean {
  return SYNC_LISTS.some((name) => nonEmpty(hooks?.[name]));
}

/**
 * A hook run by native from inside the container. runc 1.1's init replaces
 * its environment with process.env before it runs createContainer and
 * startContainer hooks, so that is what a hook without `env` gets there
 * (startContainer ones also get HOME, see placeHookOps).
 * Plan timeouts are whole seconds (the spec's are integers ≥ 1).
 */
function hookOp(name: "createContainer" | "startContainer", hook: Hook, index: number, processEnv: readonly string[]): HookOp {
  return {
    op: "hook",
    name,
    index,
    path: hook.path,
    args: hook.args ?? [],
    env: hook.env ?? processEnv,
    timeout: hook.timeout === undefined ? 0 : Math.ceil(hook.timeout),
  };
}

/** Ops from here on belong to the process phase (composePlan's phase 5): hooks go before them when nothing pivots. */
const PROCESS_PHASE: ReadonlySet<string> = new Set([
  "rlimit", "personality", "ioprio", "scheduler", "umask", "apparmor", "no-new-privs", "selinux-label", "identity", "chdir", "seccomp",
]);

/**
 * Places the hook ops into a composed plan: the sync op and the
 * createContainer hooks right before pivot_root (runtime-spec: after the
 * mounts, before pivot_root), startContainer hooks in process.startHooks.
 */
export function placeHookOps(plan: Plan, hooks: Hooks | undefined, processEnv: readonly string[]): Plan {
  if (!needsSync(hooks)) return plan;
  const inserted: Op[] = [
    { op: "sync", point: "createRuntime" },
    ...(hooks?.createContainer ?? []).map((h, i) => hookOp("createContainer", h, i, processEnv)),
  ];
  let at = plan.ops.findIndex((op) => op.op === "pivot-root" || op.op === "chroot");
  if (at < 0) at = plan.ops.findIndex((op) => PROCESS_PHASE.has(op.op));
  if (at < 0) at = plan.ops.length;
  const startHooks = (hooks?.startContainer ?? []).map((h, i) => hookOp("startContainer", h, i, processEnv));
  // runc's start hooks inherit its init's environment, HOME from /etc/passwd included: those
  // without their own env get it from the same home-from-passwd op as the process.
  const inheriting = (hooks?.startContainer ?? []).flatMap((h, i) => (h.env === undefined ? [i] : []));
  const ops = inheriting.length === 0 ? plan.ops : plan.ops.map((op) => (op.op === "home-from-passwd" ? { ...op, startHooks: inheriting } : op));
  return {
    ...plan,
    ops: [...ops.slice(0, at), ...inserted, ...ops.slice(at)],
    process: startHooks.length > 0 ? { ...plan.process, startHooks } : plan.process,
  };
}

/** The init's pid as seen from inside its own pid namespace (NSpid's last field): what in-container hooks get. */
export function pidInContainer(hostPid: number): number {
  try {
    const line = readFileSync(`/proc/${hostPid}/status`, "utf8").split("\n").find((l) => l.startsWith("NSpid:"));
    const last = line?.trim().split(/\s+/).pop();
    if (last && /^\d+$/.test(last)) return Number(last);
  } catch {
    // gone: the sync op fails anyway
  }
  return hostPid;
}

function baseState(rec: Pick<ContainerRecord, "ociVersion" | "id" | "bundle" | "annotations">, pid: number): State {
  const s: State = { ociVersion: rec.ociVersion, id: rec.id, status: "creating", pid, bundle: rec.bundle };
  if (Object.keys(rec.annotations).length > 0) s.annotations = { ...rec.annotations };
  return s;
}

export type SyncOutcome = { readonly states: Record<string, string> } | { readonly abort: string };

/**
 * create's answer at the "createRuntime" sync point: prestart then
 * createRuntime on the host, then the states for the in-container hooks.
 * A failing hook answers abort with its one-line message (HookError).
 */
export async function runCreateHooks(
  hooks: Hooks,
  rec: Pick<ContainerRecord, "ociVersion" | "id" | "bundle" | "annotations">,
  hostPid: number,
  interrupted: () => string | undefined = () => undefined,
): Promise<SyncOutcome> {
  const { runHook, stateJson } = await import("@oci-tools/hook");
  const state = baseState(rec, hostPid);
  try {
    for (const name of ["prestart", "createRuntime"] as const) {
      for (const [index, hook] of (hooks[name] ?? []).entries()) {
        // An interrupt (SIGINT/SIGTERM to create) stops the lists between hooks; create then rolls back.
        const signal = interrupted();
        if (signal) return { abort: `interrupted by ${signal}` };
        // runc chdirs into the bundle during create; these hooks run there. A list stops at its first failure.
        await runHook(hook, state, { cwd: rec.bundle, name, index });
      }
    }
  } catch (e) {
    return { abort: e instanceof Error ? e.message : String(e) };
  }
  const inner = { ...state, pid: pidInContainer(hostPid) };
  return {
    states: {
      createContainer: stateJson({ ...inner, status: "creating" }),
      startContainer: stateJson({ ...inner, status: "created" }),
    },
  };
}

/** poststart at `start`; rejects with the first failing hook's HookError. */
export async function runPoststart(rec: ContainerRecord): Promise<void> {
  const hooks = rec.hooks?.poststart;
  if (!nonEmpty(hooks)) return;
  const { runHooks } = await import("@oci-tools/hook");
  await runHooks("poststart", hooks, baseState(rec, rec.pid), { cwd: rec.bundle });
}

/** Where poststop failures go: a warning line (stderr and/or the --log file). */
export type Warn = (message: string) => void | Promise<void>;

export const stderrWarn: Warn = (message) => {
  writeSync(2, `oci-run: warning: ${message}\n`);
};

/**
 * poststop once the container is gone: every hook runs, failures become
 * warnings (runc 1.1 stops at the first; runtime-spec says run them all).
 * `cwd` unset matches runc's delete (the caller's cwd).
 */
export async function runPoststop(rec: Pick<ContainerRecord, "ociVersion" | "id" | "bundle" | "annotations" | "hooks">, warn: Warn, cwd?: string): Promise<void> {
  const hooks = rec.hooks?.poststop;
  if (!nonEmpty(hooks)) return;
  const { runHooks } = await import("@oci-tools/hook");
  try {
    const { warnings } = await runHooks("poststop", hooks, { ...baseState(rec, 0), status: "stopped" }, cwd === undefined ? {} : { cwd });
    for (const w of warnings) await warn(`delete ${rec.id}: ${w.message}`);
  } catch (e) {
    // Not a hook failure (a bad path in a hand-edited record): still only a warning, delete is done.
    await warn(`delete ${rec.id}: poststop hooks: ${e instanceof Error ? e.message : String(e)}`);
  }
}


/**
 * The warning sink for a command: plain "oci-run: warning: …" on stderr; with
 * --log also a level=warning line in the file; with --log-format json and no
 * --log, the JSON line on stderr instead (like guarded() does for errors).
 */
export function warner(g: { readonly log?: string | undefined; readonly logFormat: "text" | "json"; readonly debug: boolean }): Warn {
  if (g.log === undefined && g.logFormat === "text") return stderrWarn;
  return async (message) => {
    const { openLogger } = await import("./log.ts");
    const logger = await openLogger({ file: g.log, format: g.logFormat, debug: g.debug });
    logger?.log("warning", message);
    logger?.flush();
    if (g.log !== undefined) stderrWarn(message);
  };
}
