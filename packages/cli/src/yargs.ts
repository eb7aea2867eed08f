/**
 * The yargs view of a ToolDef: help text and shell completion. Loaded only
 * when a user asks for those, so the lifecycle commands never pay for yargs.
 */
import yargs, { type Argv, type Options } from "yargs";
import type { FlagDef, ToolDef } from "./types.ts";

function yargsOption(flag: FlagDef): Options {
  const option: Options = {
    describe: flag.describe,
    type: flag.type === "strings" ? "array" : flag.type,
    hidden: flag.hidden ?? false,
  };
  if (flag.type === "strings") option.string = true;
  if (flag.alias) option.alias = [...flag.alias];
  if (flag.default !== undefined) option.default = flag.default;
  if (flag.choices) option.choices = [...flag.choices];
  return option;
}

export function buildYargs(tool: ToolDef, argv: readonly string[]): Argv {
  let program = yargs([...argv])
    .scriptName(tool.name)
    .usage(`${tool.name} — ${tool.summary}`)
    .version(tool.versionText ? tool.versionText() : tool.version)
    .help()
    .alias("help", "h")
    .strict()
    .wrap(Math.min(100, process.stdout.columns || 80))
    .completion("completion", "print a bash completion script");
  for (const flag of tool.globalFlags ?? []) program = program.option(flag.name, yargsOption(flag));
  for (const command of tool.commands) {
    const positionals = (command.positionals ?? [])
      .map((p) => (p.required ? `<${p.name}${p.variadic ? ".." : ""}>` : `[${p.name}${p.variadic ? ".." : ""}]`))
      .join(" ");
    program = program.command(
      [`${command.name}${positionals ? ` ${positionals}` : ""}`, ...(command.aliases ?? [])],
      command.describe,
      (sub) => {
        let built = sub;
        for (const p of command.positionals ?? []) built = built.positional(p.name, { describe: p.describe, type: "string" });
        for (const flag of command.flags ?? []) built = built.option(flag.name, yargsOption(flag));
        for (const example of command.examples ?? []) built = built.example(example.cmd, example.describe);
        return built;
      },
    );
  }
  for (const example of tool.examples ?? []) program = program.example(example.cmd, example.describe);
  return program.demandCommand(1);
}

/** The help text yargs renders (for one command when given). */
export async function helpText(tool: ToolDef, commandName: string | undefined): Promise<string> {
  const argv = commandName ? [commandName, "--help"] : ["--help"];
  return await new Promise<string>((resolve, reject) => {
    buildYargs(tool, argv)
      .exitProcess(false)
      .parse(argv, {}, (error: Error | undefined, _parsed: unknown, output: string) => (error ? reject(error) : resolve(output)));
  });
}

/** Prints help (for one command when given). */
export async function showHelp(tool: ToolDef, commandName: string | undefined): Promise<void> {
  process.stdout.write((await helpText(tool, commandName)) + "\n");
}

/** Answers yargs' completion protocol (`completion` and --get-yargs-completions). */
export async function complete(tool: ToolDef, argv: readonly string[]): Promise<void> {
  await buildYargs(tool, argv).parseAsync();
}
