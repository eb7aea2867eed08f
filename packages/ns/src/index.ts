export { planNamespaces, hasNamespace, NAMESPACE_ORDER, MAX_ID_MAP_LINES, type NamespaceOptions } from "./plan.ts";
export type { NsSpec, NsSpecNamespace, NsSpecIdMapping, NsSpecTimeOffset } from "./spec-like.ts";
