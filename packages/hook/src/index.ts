/**
 * @oci-tools/hook — running OCI hooks (runtime-spec 1.2 config.md "POSIX-platform
 * Hooks") the way runc 1.1 does: argv = args, env = env, the state JSON on
 * stdin, SIGKILL after the timeout, output captured into the error.
 */
export type * from "./types.ts";
export { HOOK_KINDS, HOOK_NAMES, hookStatus, isHookName, type HookFailurePolicy, type HookKind } from "./kinds.ts";
export { parseState, stateJson } from "./state.ts";
export { HookError, hookLabel, OUTPUT_LIMIT, type CapturedOutput, type HookFailure, type HookWhere } from "./errors.ts";
export { envObject, OUTPUT_GRACE_MS, runHook, type HookResult, type RunHookOptions } from "./run-hook.ts";
export { runHooks, type HooksOutcome, type RunHooksOptions } from "./run-hooks.ts";
