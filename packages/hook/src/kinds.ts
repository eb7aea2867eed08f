/**
 * What differs between the six hook lists: the status they see, where they
 * run, and what a failure does. One table, so oci-run and oci-hook agree.
 *
 * Failure policy, checked against runc 1.1.5 on this machine (see README):
 * - prestart, createRuntime, createContainer: the create fails and the
 *   container is destroyed (runc: "runc create failed: … error running hook #0: …").
 * - startContainer: the container's process does not start (runc 1.1 prints the
 *   error from init and the container ends up stopped).
 * - poststart: runc 1.1 fails the operation and kills the container (runtime-spec
 *   1.2 said "warn"; the spec has since been changed to runc's behaviour).
 * - poststop: a warning, and the lifecycle goes on (delete succeeds). runc 1.1
 *   skips the poststop hooks after a failing one; runtime-spec requires running
 *   the remaining ones, and so do we.
 */
import type { ContainerStatus, HookName } from "./types.ts";

/** Every hook list, in the order the lifecycle runs them. */
export const HOOK_NAMES: readonly HookName[] = ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"];

export type HookFailurePolicy =
  /** Stop at the first failing hook; the operation fails and the container is stopped. */
  | "fail"
  /** Log a warning, run the remaining hooks, carry on as if it had succeeded. */
  | "warn";

export interface HookKind {
  /** The `status` field of the state on the hook's stdin (CLI-CONTRACT "Hooks' view of the state"). */
  readonly status: ContainerStatus;
  /** Where the hook's process runs: the runtime's namespaces or the container's. */
  readonly runsIn: "runtime" | "container";
  /** Where `path` is resolved (createContainer: runtime's mount namespace, before pivot_root). */
  readonly pathResolvesIn: "runtime" | "container";
  /** Which operation runs it. */
  readonly operation: "create" | "start" | "delete";
  readonly onFailure: HookFailurePolicy;
}

export const HOOK_KINDS: Readonly<Record<HookName, HookKind>> = {
  prestart: { status: "creating", runsIn: "runtime", pathResolvesIn: "runtime", operation: "create", onFailure: "fail" },
  createRuntime: { status: "creating", runsIn: "runtime", pathResolvesIn: "runtime", operation: "create", onFailure: "fail" },
  createContainer: { status: "creating", runsIn: "container", pathResolvesIn: "runtime", operation: "create", onFailure: "fail" },
  startContainer: { status: "created", runsIn: "container", pathResolvesIn: "container", operation: "start", onFailure: "fail" },
  poststart: { status: "running", runsIn: "runtime", pathResolvesIn: "runtime", operation: "start", onFailure: "fail" },
  poststop: { status: "stopped", runsIn: "runtime", pathResolvesIn: "runtime", operation: "delete", onFailure: "warn" },
};

export function isHookName(name: string): name is HookName {
  return Object.hasOwn(HOOK_KINDS, name);
}

/** The status a hook of this list sees on stdin. */
export function hookStatus(name: HookName): ContainerStatus {
  const kind = HOOK_KINDS[name];
  if (!kind) throw new TypeError(`unknown hook list "${String(name)}" (known: ${HOOK_NAMES.join(", ")})`);
  return kind.status;
}
