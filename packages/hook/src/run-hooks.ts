/**
 * Runs one hook list in order with the policy of its kind (kinds.ts): "fail"
 * lists stop at the first failure and reject with its HookError; "warn" lists
 * (poststop) run every hook and resolve with the failures as warnings.
 */
import type { HookError } from "./errors.ts";
import { HOOK_KINDS, hookStatus } from "./kinds.ts";
import { type HookResult, runHook, type RunHookOptions } from "./run-hook.ts";
import type { Hook, HookName, State } from "./types.ts";

export type RunHooksOptions = Omit<RunHookOptions, "name" | "index">;

export interface HooksOutcome {
  /** One entry per hook that ran successfully, in order. */
  readonly results: readonly HookResult[];
  /** Failures of a "warn" list (poststop): log them as warnings and go on. Always empty for "fail" lists. */
  readonly warnings: readonly HookError[];
}

/**
 * `state.status` is replaced by the status this list sees (hookStatus(name)),
 * so callers cannot get it wrong.
 */
export async function runHooks(name: HookName, hooks: readonly Hook[] | undefined, state: State, options: RunHooksOptions = {}): Promise<HooksOutcome> {
  const policy = HOOK_KINDS[name]?.onFailure;
  const seen: State = { ...state, status: hookStatus(name) };
  const results: HookResult[] = [];
  const warnings: HookError[] = [];
  for (const [index, hook] of (hooks ?? []).entries()) {
    try {
      results.push(await runHook(hook, seen, { ...options, name, index }));
    } catch (e) {
      if (policy === "warn" && e instanceof Error && e.name === "HookError") {
        warnings.push(e as HookError);
        continue;
      }
      throw e;
    }
  }
  return { results, warnings };
}
