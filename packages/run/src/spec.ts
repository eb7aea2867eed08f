/** `oci-run spec`: runc's `spec` — the same default config as `oci-spec init`, written to <bundle>/config.json. */
import { existsSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { ToolError } from "@oci-tools/cli";
import { defaultSpec, stringifyJson } from "@oci-tools/spec";

export async function writeDefaultSpec(bundle: string, rootless: boolean): Promise<void> {
  const path = resolve(bundle, "config.json");
  if (existsSync(path)) throw new ToolError(`${path} exists; remove it first`);
  try {
    writeFileSync(path, stringifyJson(defaultSpec({ rootless })), { flag: "wx", mode: 0o644 });
  } catch (e) {
    throw new ToolError(`${path}: cannot write: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}
