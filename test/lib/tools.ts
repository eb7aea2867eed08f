/**
 * How tests run a tool: the compiled binary in $OCI_TOOLS_BIN_DIR when set
 * (what ships), else Bun on the package's bin.ts (fast iteration).
 */
import { join } from "node:path";

const PACKAGE_OF: Readonly<Record<string, string>> = {
  "oci-spec": "spec",
  "oci-ns": "ns",
  "oci-mount": "mount",
  "oci-caps": "caps",
  "oci-seccomp": "seccomp",
  "oci-cgroup": "cgroup",
  "oci-hook": "hook",
  "oci-run": "run",
};

export const repoRoot = join(import.meta.dir, "..", "..");

/** The argv prefix that runs `tool`. */
export function toolCommand(tool: string): string[] {
  const pkg = PACKAGE_OF[tool];
  if (!pkg) throw new Error(`unknown tool ${tool}`);
  const binDir = process.env.OCI_TOOLS_BIN_DIR;
  if (binDir) return [join(binDir, tool)];
  return [join(repoRoot, "node_modules", ".bin", "bun"), join(repoRoot, "packages", pkg, "src", "bin.ts")];
}
