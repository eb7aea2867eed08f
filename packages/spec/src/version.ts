/** ociVersion handling: this runtime implements runtime-spec 1.2 and accepts any 1.x config. */

/** What `init` writes. runc 1.1.5 writes "1.0.2-dev"; we implement 1.2, so we say so. */
export const OCI_VERSION = "1.2.0";

// SemVer 2.0.0 (https://semver.org) with the major captured.
const SEMVER =
  /^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(?:-((?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*))*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$/;

export type VersionCheck = { kind: "ok"; major: 1; minor: number; patch: number; prerelease?: string } | { kind: "error"; message: string };

/** Any 1.x.y (pre-releases such as 1.0.0-rc1 and build metadata included) is accepted. */
export function checkOciVersion(version: string): VersionCheck {
  const m = SEMVER.exec(version);
  if (!m) return { kind: "error", message: `malformed ociVersion ${JSON.stringify(version)}: expected a SemVer such as "1.2.0"` };
  const major = Number(m[1]);
  if (major !== 1) return { kind: "error", message: `unsupported ociVersion ${version}: this runtime implements runtime-spec 1.x (1.2)` };
  return { kind: "ok", major: 1, minor: Number(m[2]), patch: Number(m[3]), ...(m[4] !== undefined ? { prerelease: m[4] } : {}) };
}

/**
 * Is this a pre-1.0.0 release-candidate config (1.0.0-rcN) whose forms
 * `upgradeSpec` rewrites? Forms are detected by shape too, so this is advisory.
 */
export function isReleaseCandidate(version: string): boolean {
  return /^1\.0\.0-rc[0-9]+/.test(version);
}
