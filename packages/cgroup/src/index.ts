export { parseCgroupLayout, parseProcCgroup, hierarchyKey, type CgroupLayout, type V1Hierarchy } from "./layout.ts";
export { resolveCgroupPath, expandSlice, CgroupPathError, type CgroupPath, type ResolveOptions } from "./path.ts";
export { planCgroup, cgroupProcsFiles, type CgroupPlan, type CgroupDir, type LimitWrite, type PlanInput, type SimpleResources } from "./plan.ts";
export { warmAttachLock } from "./warm.ts";
export {
  CgroupError,
  detectHost,
  detectLayout,
  createCgroup,
  listPids,
  cgroupExists,
  isFrozen,
  freeze,
  thaw,
  killAll,
  destroyCgroup,
  joinCgroup,
} from "./fs.ts";
