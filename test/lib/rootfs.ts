/**
 * Throwaway busybox rootfs for tests that drive native/oci-init directly:
 * a real copy (not hard links: native ops may create files in it) of the
 * cached busybox rootfs from bundle.ts, in a /tmp/oci-tools-test-* scratch
 * dir, and a cleanup that refuses to delete through a leftover mount.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { busyboxRootfs, scratchDir } from "./bundle.ts";

export interface TestRootfs {
  /** The scratch dir holding the rootfs (and anything else the test puts there). */
  readonly dir: string;
  /** <dir>/rootfs: busybox with every applet linked, /etc/passwd, /etc/group. */
  readonly rootfs: string;
  /** Unmounts anything left under dir, then deletes it. */
  cleanup(): void;
}

function unescape(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** Mount points at or under dir in this process's mount namespace, deepest first. */
export function mountsUnder(dir: string): string[] {
  return readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((l) => unescape(l.split(" ")[4] ?? ""))
    .filter((p) => p === dir || p.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}

export function removeScratch(dir: string): void {
  for (const m of mountsUnder(dir)) spawnSync("umount", ["-l", m]);
  const left = mountsUnder(dir);
  if (left.length) throw new Error(`not deleting ${dir}: still mounted: ${left.join(", ")}`);
  rmSync(dir, { recursive: true, force: true });
}

export function makeRootfs(): TestRootfs {
  const dir = scratchDir();
  const rootfs = join(dir, "rootfs");
  execFileSync("cp", ["-a", busyboxRootfs(), rootfs]);
  chmodSync(rootfs, 0o755); // the cache dir was made by mkdtemp (0700): non-root users could not reach /
  return { dir, rootfs, cleanup: () => removeScratch(dir) };
}
