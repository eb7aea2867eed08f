export type * from "./types.ts";
export { encodePlan, framePlan, PlanEncodeError, CLONE_FLAGS, OP_KINDS, PLAN_MAGIC, PLAN_FORMAT_VERSION } from "./encode.ts";
export * from "./compose.ts";
