/**
 * upgradeSpec: rewrites runtime-spec 1.0.0-rc-era forms into their 1.x
 * equivalents. Forms are recognised by shape (not only by ociVersion), since
 * tools have long written "1.0.0" with rc-era bodies. Pure: returns a copy.
 *
 * Forms handled (runtime-spec history):
 * - `process.capabilities` as a flat array (until 1.0.0-rc5, runtime-spec #675):
 *   becomes {bounding, effective, permitted}, each the listed capabilities.
 *   runc of that era applied a flat list to the bounding, effective, permitted
 *   and inheritable sets (libcontainer capabilities_linux.go: CAPS|BOUNDS), and to
 *   ambient only when built with the non-default `ambient` tag. We keep the
 *   bounding/effective/permitted part and leave out inheritable: a non-empty
 *   inheritable set is what CVE-2022-29162 (GHSA-f3fp-gc8g-vw66) was about, and
 *   runc >= 1.1.2 no longer sets it by default. Ambient stays unset as in
 *   runc's default build.
 * - top-level `platform` ({os, arch}, removed in 1.0.0-rc6): dropped; an `os`
 *   other than "linux" is a violation, as runc reported "target os mismatch".
 * - `linux.rlimits` (rlimits before they moved to `process`): moved.
 * - `linux.resources.oomScoreAdj` (before 1.0.0): moved to `process.oomScoreAdj`.
 * - `linux.resources.blockIO.blkio*` names (before runtime-spec #860): renamed
 *   (blkioWeight → weight, blkioLeafWeight → leafWeight, blkioWeightDevice →
 *   weightDevice, blkioThrottle* → throttle*).
 * - `linux.seccomp.syscalls[].name` (single name, before `names`): becomes `names: [name]`.
 * - `ociVersion` 1.0.0-rcN becomes the version this project implements.
 * Hooks without `args`/`env`/`timeout` and mounts without `options` are valid
 * 1.x as they are and need no rewrite.
 */
import { OCI_VERSION, isReleaseCandidate } from "./version.ts";
import type { Violation } from "./types.ts";

export interface UpgradeChange {
  pointer: string;
  message: string;
}

export interface UpgradeResult {
  /** The upgraded config: a copy when anything was rewritten (the input is never modified), else the input itself. */
  value: unknown;
  /** What was rewritten, for `oci-spec upgrade --verbose` and logs. */
  changes: UpgradeChange[];
  /** Problems only visible in the old form (e.g. platform.os is not linux). */
  violations: Violation[];
}

type Obj = Record<string, unknown>;
function isObj(value: unknown): value is Obj {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const BLKIO_RENAMES: readonly [string, string][] = [
  ["blkioWeight", "weight"],
  ["blkioLeafWeight", "leafWeight"],
  ["blkioWeightDevice", "weightDevice"],
  ["blkioThrottleReadBpsDevice", "throttleReadBpsDevice"],
  ["blkioThrottleWriteBpsDevice", "throttleWriteBpsDevice"],
  ["blkioThrottleReadIOPSDevice", "throttleReadIOPSDevice"],
  ["blkioThrottleWriteIOPSDevice", "throttleWriteIOPSDevice"],
];

/** Cheap scan for any rc-era form, so a current config is not copied (loadSpec's hot path). */
function hasOldForms(config: Obj): boolean {
  if (typeof config.ociVersion === "string" && isReleaseCandidate(config.ociVersion)) return true;
  if ("platform" in config) return true;
  if (isObj(config.process) && Array.isArray(config.process.capabilities)) return true;
  const linux = config.linux;
  if (!isObj(linux)) return false;
  if ("rlimits" in linux) return true;
  const resources = linux.resources;
  if (isObj(resources)) {
    if ("oomScoreAdj" in resources) return true;
    if (isObj(resources.blockIO) && BLKIO_RENAMES.some(([old]) => old in (resources.blockIO as Obj))) return true;
  }
  const seccomp = linux.seccomp;
  return isObj(seccomp) && Array.isArray(seccomp.syscalls) && seccomp.syscalls.some((rule: unknown) => isObj(rule) && "name" in rule);
}

export function upgradeSpec(input: unknown): UpgradeResult {
  const changes: UpgradeChange[] = [];
  const violations: Violation[] = [];
  if (!isObj(input) || !hasOldForms(input)) return { value: input, changes, violations };
  const config = structuredClone(input);
  const changed = (pointer: string, message: string) => changes.push({ pointer, message });

  if (typeof config.ociVersion === "string" && isReleaseCandidate(config.ociVersion)) {
    changed("/ociVersion", `${config.ociVersion} → ${OCI_VERSION}`);
    config.ociVersion = OCI_VERSION;
  }

  if ("platform" in config) {
    const platform = config.platform;
    if (isObj(platform) && typeof platform.os === "string" && platform.os !== "linux") {
      violations.push({ pointer: "/platform/os", message: `config is for "${platform.os}", this runtime runs Linux containers` });
    }
    delete config.platform;
    changed("/platform", "removed (not part of runtime-spec since 1.0.0-rc6)");
  }

  const process = isObj(config.process) ? config.process : undefined;
  if (process && Array.isArray(process.capabilities)) {
    const list = process.capabilities;
    process.capabilities = { bounding: [...list], effective: [...list], permitted: [...list] };
    changed("/process/capabilities", "flat list → bounding, effective and permitted sets (inheritable and ambient left empty)");
  }

  const linux = isObj(config.linux) ? config.linux : undefined;
  if (linux && "rlimits" in linux) {
    if (process && process.rlimits === undefined) {
      process.rlimits = linux.rlimits;
      changed("/linux/rlimits", "moved to /process/rlimits");
    } else {
      changed("/linux/rlimits", "removed (process.rlimits takes precedence)");
    }
    delete linux.rlimits;
  }

  const resources = linux && isObj(linux.resources) ? linux.resources : undefined;
  if (resources && "oomScoreAdj" in resources) {
    if (process && process.oomScoreAdj === undefined) {
      process.oomScoreAdj = resources.oomScoreAdj;
      changed("/linux/resources/oomScoreAdj", "moved to /process/oomScoreAdj");
    } else {
      changed("/linux/resources/oomScoreAdj", "removed (process.oomScoreAdj takes precedence)");
    }
    delete resources.oomScoreAdj;
  }

  const blockIO = resources && isObj(resources.blockIO) ? resources.blockIO : undefined;
  if (blockIO) {
    for (const [old, current] of BLKIO_RENAMES) {
      if (!(old in blockIO)) continue;
      if (!(current in blockIO)) blockIO[current] = blockIO[old];
      delete blockIO[old];
      changed(`/linux/resources/blockIO/${old}`, `renamed to ${current}`);
    }
  }

  const seccomp = linux && isObj(linux.seccomp) ? linux.seccomp : undefined;
  if (seccomp && Array.isArray(seccomp.syscalls)) {
    seccomp.syscalls.forEach((rule: unknown, i) => {
      if (!isObj(rule) || !("name" in rule)) return;
      if (rule.names === undefined && typeof rule.name === "string") {
        // Keep `names` where `name` was, so the output reads like the input.
        const { name, ...rest } = rule;
        for (const key of Object.keys(rule)) delete rule[key];
        Object.assign(rule, { names: [name] }, rest);
        changed(`/linux/seccomp/syscalls/${i}/name`, "→ names");
      }
    });
  }
  return { value: config, changes, violations };
}
