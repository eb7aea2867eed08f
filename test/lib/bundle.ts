/**
 * Busybox bundles for integration tests. The rootfs is built once (from
 * Debian's busybox-static) into test/.cache and hard-link-copied per bundle,
 * so 50 bundles cost milliseconds and the cache stays pristine.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "./tools.ts";

export const TEST_PREFIX = "oci-tools-test";
/** Container ids made by tests start with this, so the leak check can find their cgroups. */
export const ID_PREFIX = "octest";

function busyboxBinary(): string {
  for (const p of ["/bin/busybox", "/usr/bin/busybox"]) if (existsSync(p)) return p;
  throw new Error("busybox is not installed (apt-get install busybox-static)");
}

/** The cached pristine rootfs: busybox with every applet linked, /etc/passwd and /etc/group. */
export function busyboxRootfs(): string {
  const cache = join(repoRoot, "test", ".cache");
  const dest = join(cache, "busybox-rootfs");
  if (existsSync(join(dest, ".complete"))) return dest;
  mkdirSync(cache, { recursive: true });
  const tmp = mkdtempSync(join(cache, "rootfs-build-"));
  for (const d of ["bin", "sbin", "usr/bin", "usr/sbin", "etc", "proc", "sys", "dev", "tmp", "root", "data", "run", "var"]) {
    mkdirSync(join(tmp, d), { recursive: true, mode: 0o755 });
  }
  execFileSync("cp", [busyboxBinary(), join(tmp, "bin", "busybox")]);
  const applets = execFileSync(join(tmp, "bin", "busybox"), ["--list-full"], { encoding: "utf8" }).split("\n").filter(Boolean);
  for (const a of applets) {
    const link = join(tmp, a);
    if (a === "bin/busybox" || existsSync(link)) continue;
    mkdirSync(join(link, ".."), { recursive: true });
    symlinkSync("/bin/busybox", link);
  }
  writeFileSync(join(tmp, "etc", "passwd"), "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n");
  writeFileSync(join(tmp, "etc", "group"), "root:x:0:\nnogroup:x:65534:\n");
  writeFileSync(join(tmp, ".complete"), "");
  chmodSync(tmp, 0o755);
  try {
    renameSync(tmp, dest);
  } catch {
    rmSync(tmp, { recursive: true, force: true }); // another test file built it first
  }
  return dest;
}

/** A fresh scratch directory for one test: /tmp/oci-tools-test-XXXXXX. */
export function scratchDir(): string {
  return mkdtempSync(`/tmp/${TEST_PREFIX}-`);
}

/** The default config (what `oci-spec init` writes), as a plain object to edit. */
export async function defaultConfig(): Promise<Record<string, any>> {
  const spec = await import("../../packages/spec/src/defaults.ts");
  return JSON.parse(JSON.stringify(spec.defaultSpec())) as Record<string, any>;
}

export interface BundleOptions {
  /** Edits the default config before it is written. */
  readonly edit?: (config: Record<string, any>) => void;
  /** Replaces the config entirely (for invalid-config tests). */
  readonly rawConfig?: string;
  /** Leave out the rootfs (missing-rootfs tests). */
  readonly noRootfs?: boolean;
}

/** Makes <dir>/<name>/{config.json,rootfs}; returns the bundle path. */
export async function makeBundle(dir: string, name: string, o: BundleOptions = {}): Promise<string> {
  const bundle = join(dir, name);
  mkdirSync(bundle, { recursive: true });
  if (!o.noRootfs) {
    execFileSync("cp", ["-al", busyboxRootfs(), join(bundle, "rootfs")]);
    chmodSync(join(bundle, "rootfs"), 0o755); // the cache was made by mkdtemp (0700): non-root users need to traverse /
  }
  if (o.rawConfig !== undefined) {
    writeFileSync(join(bundle, "config.json"), o.rawConfig);
  } else {
    const config = await defaultConfig();
    config.process.terminal = false;
    o.edit?.(config);
    writeFileSync(join(bundle, "config.json"), JSON.stringify(config, null, 2));
  }
  return bundle;
}

export function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, "utf8"));
}
