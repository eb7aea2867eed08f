export { planRootfs, bindSources, containerPath, PROC_MOUNT_ALLOWLIST, type RootfsOptions, type RootfsPlan, type SourceKind, type ConsoleSource } from "./plan.ts";
export { parseMountOptions, flagNames, MS, FLAG_OPTIONS, PROPAGATION_OPTIONS, UNSUPPORTED_OPTIONS, MountOptionError, type ParsedMountOptions } from "./flags.ts";
export { DEFAULT_DEVICES, deviceList, devOps, specDevice, devLinks, type DeviceNode } from "./devices.ts";
export { cgroupMountOps, type CgroupLayout, type CgroupV1Hierarchy } from "./cgroup.ts";
export { sysctlOps, IPC_SYSCTLS } from "./sysctl.ts";
export { statSourceKinds, sourceKindsFor } from "./sources.ts";
export type { MountSpec, MountSpecMount, MountSpecDevice } from "./spec-like.ts";
export { hostFacts, parentMountFrom, cgroupLayoutFrom, parseMountinfoCgroups, runningInUserNs, joinedNetnsIsHost } from "./host.ts";
