/** `oci-run spec`: the same default config.json as `oci-spec init` (runc's `spec`). */
import { existsSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { ToolError } from "@oci-tools/cli";
import { defaultSpec, toRootless } from "@oci-tools/spec";

export async function writeDefaultSpec(bundle: string, rootless: boolean): Promise<void> {
  const path = resolve(bundle, "config.json");
  if (existsSync(path)) throw new ToolError(`File ${path} exists. Remove it first`);
  let spec = defaultSpec();
  if (rootless) spec = toRootless(spec, process.getuid?.() ?? 0, process.getgid?.() ?? 0);
  writeFileSync(path, `${JSON.stringify(spec, null, "\t")}\n`, { flag: "wx" });
}
