/**
 * The shapes hooks deal in. Hook and HookName are the config's (runtime-spec
 * config.md "POSIX-platform Hooks"); State is what a hook reads on stdin
 * (runtime-spec runtime.md "State").
 */
export type { Hook, HookName, Hooks } from "@oci-tools/spec";

/** runtime-spec's statuses; `paused` is runc's addition (a state `state` may print, never a hook). */
export type ContainerStatus = "creating" | "created" | "running" | "stopped" | "paused";

/** The container state a hook receives on stdin. */
export interface State {
  ociVersion: string;
  id: string;
  status: ContainerStatus;
  /** The container's init as seen from where the hook runs; omitted (or 0) once it is gone. */
  pid?: number;
  /** Absolute path of the bundle. */
  bundle: string;
  annotations?: Record<string, string>;
}
