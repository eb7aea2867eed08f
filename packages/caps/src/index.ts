export { planProcess, capabilitySets, lacksHome, rlimitValue, type ProcessOptions, type ProcessFragment, type CapabilitySets } from "./plan.ts";
export {
  CAPABILITIES,
  CAP_LAST,
  RLIMITS,
  RLIM_INFINITY,
  SCHED_POLICIES,
  SCHED_FLAGS,
  IOPRIO_CLASSES,
  IOPRIO_CLASS_SHIFT,
  PERSONALITY_DOMAINS,
  PERSONALITY_FLAGS,
  capabilityNames,
} from "./names.ts";
export type { CapsSpec, CapsSpecCapabilities, CapsSpecRlimit, CapsSpecScheduler } from "./spec-like.ts";
export { hostLsm } from "./host.ts";
export { dedupeEnv } from "./env.ts";
