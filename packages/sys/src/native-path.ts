/**
 * Where the native artifacts (oci-init, libocisys.so) live:
 * $OCI_TOOLS_NATIVE_DIR, then next to the running executable (compiled Bun
 * binaries ship them in dist/bin), then native/build in this repository.
 */
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

export type NativeArtifact = "oci-init" | "libocisys.so" | "oci-init-asan";

export function nativeCandidates(name: NativeArtifact): string[] {
  const dirs: string[] = [];
  const env = process.env.OCI_TOOLS_NATIVE_DIR;
  if (env) dirs.push(env);
  dirs.push(dirname(process.execPath));
  dirs.push(resolve(import.meta.dir, "../../../native/build"));
  return dirs.map((d) => join(d, name));
}

/** Absolute path of a native artifact; throws naming every place looked at. */
export function nativePath(name: NativeArtifact): string {
  const candidates = nativeCandidates(name);
  for (const c of candidates) if (existsSync(c)) return c;
  throw new Error(`${name} not found (looked in ${candidates.join(", ")}); build it with \`make -C native\` or set OCI_TOOLS_NATIVE_DIR`);
}
