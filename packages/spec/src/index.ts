/**
 * @oci-tools/spec — runtime-spec 1.2 config types, defaults (`runc spec`),
 * validation (AOT-compiled JSON Schema + semantic checks), rc-era upgrades,
 * RFC 6902 patch/diff and RFC 6901 get/set.
 *
 * `loadSpec` is the entry point for oci-run. patch/diff pull in the rfc6902
 * library; import them from here only where needed (the CLI loads them lazily).
 */
export type * from "./types.ts";
export { defaultSpec, toRootless, type DefaultSpecOptions } from "./defaults.ts";
export { validateSpec, type ValidateOptions } from "./validate.ts";
export { formatViolation, stringifyJson } from "./format.ts";
export { semanticViolations } from "./semantic.ts";
export { upgradeSpec, type UpgradeChange, type UpgradeResult } from "./upgrade.ts";
export { loadSpec, loadSpecFrom, specFromValue, withDefaults, type LoadOptions } from "./load.ts";
export { InputError, SpecError } from "./errors.ts";
export { MAX_INPUT_BYTES, readJson, readSourceText, parseJsonText, sourceName, type InputSource } from "./read.ts";
export { PointerError, parsePointer, formatPointer, escapeToken, getPointer, setPointer } from "./pointer.ts";
export { applyJsonPatch, parsePatch, PatchError, type PatchOperation } from "./patch.ts";
export { diffSpecs } from "./diff.ts";
export { OCI_VERSION, checkOciVersion, type VersionCheck } from "./version.ts";
export {
  CAPABILITIES,
  capabilityNumber,
  RLIMITS,
  rlimitNumber,
  SIGNALS,
  parseSignal,
  type CapabilityName,
  type RlimitName,
} from "./names.ts";
