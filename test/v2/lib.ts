/**
 * Shared by the cgroup v2 suite. It runs in a throwaway VM with pure cgroup
 * v2 (test/run.sh's "cgroup-v2" phase, /work/shared/vm/run-in-vm.sh); on a
 * host whose /sys/fs/cgroup is not cgroup2 every test skips itself.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statfsSync, symlinkSync } from "node:fs";
import { execFileSync, spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { busyboxRootfs } from "../lib/bundle.ts";
import { toolCommand } from "../lib/tools.ts";

const CGROUP2_SUPER_MAGIC = 0x63677270;
export const CGROUP_ROOT = "/sys/fs/cgroup";

export function isCgroup2(): boolean {
  try {
    return statfsSync(CGROUP_ROOT).type === CGROUP2_SUPER_MAGIC;
  } catch {
    return false;
  }
}

export const onV2 = isCgroup2();
if (!onV2) {
  console.warn(`test/v2: SKIPPED: ${CGROUP_ROOT} is not cgroup2 (this host is v1/hybrid); test/run.sh runs this suite in a VM with pure cgroup v2`);
}

let staged: string | undefined;

/**
 * The VM reads the repo over 9p, where starting a 100 MB compiled binary
 * costs ~4 s every time (no page cache across opens); from tmpfs it costs
 * ~0.3 s. So copy the built binaries (the same bytes as dist/bin) to the
 * VM's /tmp once and point the tools there. Without $OCI_TOOLS_BIN_DIR the
 * tests run the sources with Bun, as everywhere else.
 */
export function stageBinaries(): void {
  const from = process.env.OCI_TOOLS_BIN_DIR;
  if (!onV2 || staged !== undefined || !from) return;
  const to = mkdtempSync("/tmp/cg2-bin-");
  for (const f of ["oci-run", "oci-cgroup", "oci-init", "libocisys.so"]) copyFileSync(join(from, f), join(to, f));
  spawnSync("chmod", ["755", join(to, "oci-run"), join(to, "oci-cgroup"), join(to, "oci-init")]);
  process.env.OCI_TOOLS_BIN_DIR = to;
  process.env.OCI_TOOLS_NATIVE_DIR = to;
  staged = to;
  process.on("exit", () => rmSync(to, { recursive: true, force: true }));
}

let pristine: string | undefined;

/**
 * A busybox rootfs on the VM's tmpfs, made once per run: copying the repo's
 * cached one (test/.cache, on 9p) costs ~20 s for its ~400 applet links, and
 * hard links (bundle.ts's cp -al) cannot cross into /tmp. Here only the
 * binary and /etc files cross 9p; the links are made locally.
 */
function pristineRootfs(): string {
  if (pristine !== undefined) return pristine;
  const cache = busyboxRootfs();
  const dir = mkdtempSync("/tmp/cg2-rootfs-");
  process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
  const root = join(dir, "rootfs");
  for (const d of ["bin", "sbin", "usr/bin", "usr/sbin", "etc", "proc", "sys", "dev", "tmp", "root", "run", "var"]) mkdirSync(join(root, d), { recursive: true, mode: 0o755 });
  copyFileSync(join(cache, "bin", "busybox"), join(root, "bin", "busybox"));
  spawnSync("chmod", ["755", join(root, "bin", "busybox"), root]);
  for (const f of ["passwd", "group"]) copyFileSync(join(cache, "etc", f), join(root, "etc", f));
  for (const applet of execFileSync(join(root, "bin", "busybox"), ["--list-full"], { encoding: "utf8" }).split("\n").filter(Boolean)) {
    if (applet === "bin/busybox") continue;
    mkdirSync(dirname(join(root, applet)), { recursive: true });
    symlinkSync("/bin/busybox", join(root, applet));
  }
  pristine = root;
  return root;
}

/** Puts a fresh (writable, real) copy of the busybox rootfs at `dest`. */
export function copyRootfs(dest: string): void {
  execFileSync("cp", ["-a", pristineRootfs(), dest]);
}

export interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function ociCgroup(...args: string[]): Result {
  const [cmd, ...pre] = toolCommand("oci-cgroup");
  const r = spawnSync(cmd!, [...pre, ...args], { encoding: "utf8", timeout: 120_000 });
  return { code: r.status ?? 137, stdout: r.stdout, stderr: r.stderr };
}

export function read(path: string): string {
  return readFileSync(path, "utf8");
}

export function procsOf(dir: string): number[] {
  return read(join(dir, "cgroup.procs")).split("\n").filter(Boolean).map(Number);
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls `cond` every 20 ms until it holds or `ms` pass (the VM is emulated: be generous). */
export async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await Bun.sleep(20);
  }
}
