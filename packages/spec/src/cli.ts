/**
 * The oci-spec command line, declared once: the fast parser, --help, shell
 * completion and the man page all come from this ToolDef. Each command's code
 * is imported only when that command runs, so `init` never loads the schema
 * validator or rfc6902.
 */
import { type CommandDef, type CommandIO, type FlagDef, type ParsedArgs, ToolError, type ToolDef } from "@oci-tools/cli";
import { MAX_INPUT_BYTES } from "./read.ts";

type Run = (args: ParsedArgs, io: CommandIO) => number;

/**
 * Imports a command's module when it runs. JSON.parse accepts documents nested
 * far deeper than the engine's stack allows cloning or printing them; that
 * RangeError becomes one clear line instead of "Maximum call stack size exceeded".
 */
function lazy(load: () => Promise<Run>): CommandDef["run"] {
  return async (args, io) => {
    const run = await load();
    try {
      return run(args, io);
    } catch (error) {
      if (error instanceof RangeError && /call stack/i.test(error.message)) throw new ToolError("document is nested too deeply to process");
      throw error;
    }
  };
}

const bundle: FlagDef = { name: "bundle", alias: ["b"], type: "string", describe: "read DIR/config.json instead of a FILE or stdin" };
const inPlace: FlagDef = {
  name: "in-place",
  alias: ["i"],
  type: "boolean",
  describe: "replace the input file (or DIR/config.json) atomically instead of writing to stdout",
};
const file = { name: "file", describe: "config file to read; '-' or absent means stdin" };

const commands: CommandDef[] = [
  {
    name: "init",
    aliases: ["spec"],
    describe: "write the default config (the same content as `runc spec`, ociVersion 1.2.0)",
    flags: [
      { name: "rootless", type: "boolean", describe: "the rootless variant (user namespace mapping your euid/egid to root, as `runc spec --rootless`)" },
      { name: "terminal", type: "boolean", default: true, describe: "process.terminal (--terminal=false for none)" },
      { name: "arg", alias: ["a"], type: "strings", describe: "process.args, one word per flag (or give them after --)" },
      { name: "hostname", type: "string", describe: "hostname (default runc)" },
      { name: "rootfs", type: "string", describe: "root.path (default rootfs)" },
      { name: "bundle", alias: ["b"], type: "string", describe: "write DIR/config.json (refuses to overwrite) instead of stdout" },
    ],
    examples: [
      { cmd: "oci-spec init > config.json", describe: "a config like runc's" },
      { cmd: "oci-spec init --terminal=false -- /bin/echo hello", describe: "with another command" },
    ],
    run: lazy(async () => (await import("./commands/init.ts")).runInit),
  },
  {
    name: "validate",
    describe: "check a config against runtime-spec 1.2: JSON Schema plus semantic checks; silent when valid",
    positionals: [file],
    flags: [
      bundle,
      { name: "strict", type: "boolean", describe: "also report properties runtime-spec does not define" },
      { name: "literal", type: "boolean", describe: "validate the document as written, without upgrading 1.0.0-rc forms first" },
    ],
    examples: [{ cmd: "oci-spec validate --bundle ./bundle", describe: "exit 0 when valid, 1 with every violation listed" }],
    run: lazy(async () => (await import("./commands/validate.ts")).runValidate),
  },
  {
    name: "upgrade",
    aliases: ["normalize", "normalise"],
    describe: "rewrite runtime-spec 1.0.0-rc forms (flat capabilities, platform, ...) in their 1.x form",
    positionals: [file],
    flags: [bundle, inPlace, { name: "verbose", type: "boolean", describe: "list each rewrite on stderr" }],
    run: lazy(async () => (await import("./commands/upgrade.ts")).runUpgrade),
  },
  {
    name: "patch",
    describe: "apply an RFC 6902 JSON Patch atomically (all operations or none)",
    positionals: [
      { name: "patch", describe: "the patch as inline JSON (omit with --patch-file)" },
      file,
    ],
    flags: [{ name: "patch-file", alias: ["p"], type: "string", describe: "read the patch from this file ('-' for stdin)" }, bundle, inPlace],
    examples: [
      { cmd: `oci-spec patch '[{"op":"replace","path":"/hostname","value":"web"}]' config.json`, describe: "inline patch" },
      { cmd: "oci-spec patch -p fix.json --bundle . --in-place", describe: "patch a bundle's config.json in place" },
    ],
    run: lazy(async () => (await import("./commands/patch.ts")).runPatch),
  },
  {
    name: "get",
    describe: "print the value at an RFC 6901 JSON pointer",
    positionals: [{ name: "pointer", describe: "JSON pointer, e.g. /process/args", required: true }, file],
    flags: [bundle, { name: "raw", alias: ["r"], type: "boolean", describe: "print a string value without JSON quotes" }],
    run: lazy(async () => (await import("./commands/pointer.ts")).runGet),
  },
  {
    name: "set",
    describe: "set the value at a JSON pointer ('-' as the last token appends to an array)",
    positionals: [
      { name: "pointer", describe: "JSON pointer", required: true },
      { name: "value", describe: "the new value as JSON", required: true },
      file,
    ],
    flags: [bundle, inPlace, { name: "string", alias: ["s"], type: "boolean", describe: "take VALUE as a plain string, not JSON" }],
    examples: [{ cmd: "oci-spec set /hostname --string web < config.json", describe: "set a string" }],
    run: lazy(async () => (await import("./commands/pointer.ts")).runSet),
  },
  {
    name: "diff",
    describe: "print the RFC 6902 patch that turns A into B",
    positionals: [
      { name: "a", describe: "the original config ('-' for stdin)", required: true },
      { name: "b", describe: "the changed config ('-' for stdin)", required: true },
    ],
    run: lazy(async () => (await import("./commands/diff.ts")).runDiff),
  },
];

export const tool: ToolDef = {
  name: "oci-spec",
  summary: "create, validate, upgrade and edit OCI runtime-spec config.json files",
  description: [
    "oci-spec reads a runtime-spec config as JSON on stdin, from a FILE argument, or from --bundle DIR (DIR/config.json), and writes JSON on stdout (two-space indent, trailing newline).",
    "validate checks a JSON Schema for runtime-spec 1.2 (compiled ahead of time) and the rules the schema cannot express: absolute paths, unique namespaces, known capability and rlimit names, soft <= hard, non-overlapping id mappings. Any ociVersion 1.x is accepted. Unknown properties are ignored unless --strict.",
    `Input is limited to ${MAX_INPUT_BYTES / (1024 * 1024)} MiB. Bad input (not JSON, binary, too large, a directory, empty) gives one line on stderr and exit status 1; usage errors exit 2.`,
  ],
  version: "0.1.0",
  commands,
  seeAlso: ["oci-run(8)", "runc(8)"],
};
