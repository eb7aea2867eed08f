/**
 * The one piece of I/O the rootfs planner needs, kept out of it: stat(2) of
 * each bind source (following symlinks, like runc's os.Stat) to learn whether
 * the target must be a directory or a file. Used by the CLI and oci-run.
 */
import { statSync } from "node:fs";
import { PlanError } from "@oci-tools/plan";
import { bindSources, type SourceKind } from "./plan.ts";
import type { MountSpec } from "./spec-like.ts";

export function statSourceKinds(paths: readonly string[]): Map<string, SourceKind> {
  const kinds = new Map<string, SourceKind>();
  for (const path of paths) {
    let isDir: boolean;
    try {
      isDir = statSync(path).isDirectory();
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? "error";
      throw new PlanError("mounts", `bind source ${path}: ${code === "ENOENT" ? "no such file or directory" : code}`);
    }
    kinds.set(path, isDir ? "dir" : "file");
  }
  return kinds;
}

/** bindSources + statSourceKinds. */
export function sourceKindsFor(spec: MountSpec, bundleDir: string): Map<string, SourceKind> {
  return statSourceKinds(bindSources(spec, bundleDir));
}
