import { join } from "node:path";
import { type CommandIO, type ParsedArgs, ToolError } from "@oci-tools/cli";
import { defaultSpec } from "../defaults.ts";
import { stringifyJson } from "../format.ts";
import { writeFileAtomic } from "../write.ts";

export function runInit(args: ParsedArgs, io: CommandIO): number {
  const argv = [...args.strings("arg"), ...args.rest];
  const spec = defaultSpec({
    rootless: args.bool("rootless"),
    terminal: args.bool("terminal"),
    ...(argv.length > 0 ? { args: argv } : {}),
    ...(args.has("hostname") ? { hostname: args.string("hostname")! } : {}),
    ...(args.has("rootfs") ? { rootPath: args.string("rootfs")! } : {}),
  });
  const bundle = args.string("bundle");
  if (bundle === undefined) {
    io.stdout(stringifyJson(spec));
    return 0;
  }
  // Like `runc spec --bundle`: write DIR/config.json, never over an existing one.
  const target = join(bundle, "config.json");
  try {
    writeFileAtomic(target, stringifyJson(spec), { exclusive: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST") throw new ToolError(`${target} exists; remove it first`);
    throw new ToolError(`${target}: cannot write: ${code ?? (error as Error).message}`);
  }
  return 0;
}
