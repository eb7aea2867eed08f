/**
 * oci-hook: a config's hooks on their own.
 *   oci-hook run NAME [-b DIR | -c FILE] -s FILE|-   run that hook list with the given state
 *   oci-hook list [NAME] [-b DIR | -c FILE]          the hooks as JSON lines
 */
import { dirname, resolve } from "node:path";
import { type CommandDef, type FlagDef, type ParsedArgs, ToolError, type ToolDef, UsageError } from "@oci-tools/cli";
import type { LoadedSpec } from "@oci-tools/spec";
import { HOOK_NAMES, isHookName } from "./kinds.ts";
import type { HookName } from "./types.ts";

const SPEC_FLAGS: FlagDef[] = [
  { name: "bundle", alias: ["b"], type: "string", describe: "read DIR/config.json; hooks run with DIR as their working directory" },
  { name: "config", alias: ["c"], type: "string", describe: "read this config file (default: stdin); its directory is the bundle" },
];

interface Input {
  readonly spec: LoadedSpec;
  /** Absolute bundle directory, or undefined when the config came on stdin. */
  readonly bundleDir: string | undefined;
}

async function readConfig(a: ParsedArgs): Promise<Input> {
  const bundle = a.string("bundle");
  const config = a.string("config");
  if (bundle !== undefined && config !== undefined) throw new UsageError("give --bundle or --config, not both");
  const { loadSpecFrom } = await import("@oci-tools/spec");
  try {
    if (bundle !== undefined) return { spec: loadSpecFrom({ kind: "bundle", dir: bundle }), bundleDir: resolve(bundle) };
    if (config !== undefined) return { spec: loadSpecFrom({ kind: "file", path: config }), bundleDir: dirname(resolve(config)) };
    return { spec: loadSpecFrom({ kind: "stdin" }), bundleDir: undefined };
  } catch (e) {
    throw new ToolError(e instanceof Error ? e.message : String(e));
  }
}

function hookName(value: string | undefined): HookName | undefined {
  if (value === undefined) return undefined;
  if (!isHookName(value)) throw new UsageError(`unknown hook list "${value}" (one of: ${HOOK_NAMES.join(", ")})`);
  return value;
}

const NAME_POSITIONAL = `one of ${HOOK_NAMES.join(", ")}`;

const commands: CommandDef[] = [
  {
    name: "run",
    describe: "run one hook list of the config, in order, with the state on each hook's stdin",
    positionals: [{ name: "name", describe: `the hook list: ${NAME_POSITIONAL}`, required: true }],
    flags: [
      ...SPEC_FLAGS,
      { name: "state", alias: ["s"], type: "string", describe: "the container state JSON (runtime-spec runtime.md), from FILE or - for stdin; its status is set to what this list sees" },
    ],
    examples: [
      { cmd: "oci-run state demo | oci-hook run poststart -b ./bundle -s -", describe: "run the bundle's poststart hooks against a live container's state" },
    ],
    run: async (a, io) => {
      const name = hookName(a.positional("name"))!;
      const statePath = a.string("state");
      if (statePath === undefined) throw new UsageError("give the container state with --state FILE (or - for stdin)");
      if (statePath === "-" && a.string("bundle") === undefined && a.string("config") === undefined) {
        throw new UsageError("the state and the config cannot both come from stdin: give --bundle or --config");
      }
      const { spec, bundleDir } = await readConfig(a);
      const { parseJsonText, readSourceText } = await import("@oci-tools/spec");
      const { parseState, runHooks } = await import("./index.ts");
      const source = statePath === "-" ? ({ kind: "stdin" } as const) : ({ kind: "file", path: statePath } as const);
      let state;
      try {
        state = parseState(parseJsonText(readSourceText(source), statePath === "-" ? "stdin" : statePath), statePath === "-" ? "state on stdin" : statePath);
      } catch (e) {
        throw new ToolError(e instanceof Error ? e.message : String(e));
      }
      try {
        const outcome = await runHooks(name, spec.hooks[name], state, { cwd: bundleDir });
        for (const w of outcome.warnings) io.stderr(`oci-hook: warning: ${w.message}\n`);
      } catch (e) {
        if (e instanceof Error && (e.name === "HookError" || e instanceof TypeError)) throw new ToolError(e.message);
        throw e;
      }
      return 0;
    },
  },
  {
    name: "list",
    describe: "print the config's hooks as JSON lines: {name, index, path, args, env, timeout}, in lifecycle order",
    positionals: [{ name: "name", describe: `only this hook list: ${NAME_POSITIONAL}` }],
    flags: SPEC_FLAGS,
    examples: [{ cmd: "oci-hook list -b ./bundle", describe: "which hooks the bundle runs, and when" }],
    run: async (a, io) => {
      const only = hookName(a.positional("name"));
      const { spec } = await readConfig(a);
      let text = "";
      for (const name of only ? [only] : HOOK_NAMES) {
        for (const [index, hook] of (spec.hooks[name] ?? []).entries()) text += `${JSON.stringify({ name, index, ...hook })}\n`;
      }
      io.stdout(text);
      return 0;
    },
  },
];

export const tool: ToolDef = {
  name: "oci-hook",
  summary: "list or run the hooks of an OCI container config",
  description: [
    "oci-hook runs the hooks of an OCI runtime config (config.json) exactly as a runtime does: each hook is executed with `path` as the program, `args` as its whole argv (args[0] is argv[0]; without args, argv[0] is the path), `env` as its whole environment (without env, oci-hook's own environment, as runc does), and the container state as compact JSON on stdin. A hook with a `timeout` is killed with SIGKILL, together with its process group, after that many seconds.",
    "`run` runs one list in order. For prestart, createRuntime, createContainer, startContainer and poststart the first failure stops the list and oci-hook exits 1 with the hook's exit status and its stdout and stderr in the message. A failing poststop hook prints a warning and the remaining ones still run (runtime-spec); oci-hook exits 0. The state's status is set to what the list sees: creating for prestart, createRuntime and createContainer, created for startContainer, running for poststart, stopped for poststop.",
    "Hooks run in the bundle directory (--bundle, or the directory of --config), as runc's create does. oci-hook runs every hook in its own namespaces: createContainer and startContainer belong inside the container, which is oci-run's job.",
  ],
  version: "0.1.0",
  commands,
  examples: [
    { cmd: "oci-hook list -b ./bundle", describe: "the hooks as JSON lines" },
    { cmd: "oci-hook run prestart -b ./bundle -s state.json", describe: "run the prestart hooks with a saved state" },
  ],
  seeAlso: ["oci-run(1)", "oci-spec(1)"],
};
