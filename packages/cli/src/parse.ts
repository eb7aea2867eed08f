/**
 * The hot-path argv parser. It understands exactly what a ToolDef declares
 * (long flags as --name / -name / --name=value, single-letter aliases, `--`)
 * and nothing else, so it needs no library and runs in microseconds; yargs is
 * loaded only for --help and completion (see run.ts).
 *
 * Single-dash long flags (-bundle) are accepted because runc's CLI library
 * accepts them and scripts written for runc use them.
 */
import { UsageError } from "./errors.ts";
import type { CommandDef, FlagDef, FlagValue, ParsedArgs, ToolDef } from "./types.ts";

export type ParseOutcome =
  | { readonly kind: "run"; readonly args: ParsedArgs }
  | { readonly kind: "help"; readonly command?: CommandDef }
  | { readonly kind: "version" }
  | { readonly kind: "completion" };

function flagIndex(flags: readonly FlagDef[]): Map<string, FlagDef> {
  const index = new Map<string, FlagDef>();
  for (const flag of flags) {
    index.set(flag.name, flag);
    for (const alias of flag.alias ?? []) index.set(alias, flag);
  }
  return index;
}

function parseBoolean(flag: FlagDef, text: string): boolean {
  if (text === "true" || text === "1") return true;
  if (text === "false" || text === "0") return false;
  throw new UsageError(`--${flag.name} takes true or false, not '${text}'`);
}

function convert(flag: FlagDef, text: string): string | number {
  if (flag.choices && !flag.choices.includes(text)) {
    throw new UsageError(`--${flag.name} must be one of ${flag.choices.join(", ")}, not '${text}'`);
  }
  if (flag.type === "number") {
    const value = Number(text);
    if (text.trim() === "" || !Number.isFinite(value)) throw new UsageError(`--${flag.name} takes a number, not '${text}'`);
    return value;
  }
  return text;
}

/** Splits "--name=value", "-name", "-x" into a flag name and an inline value. */
function splitFlagWord(word: string): { name: string; inline: string | undefined } {
  const body = word.startsWith("--") ? word.slice(2) : word.slice(1);
  const eq = body.indexOf("=");
  return eq < 0 ? { name: body, inline: undefined } : { name: body.slice(0, eq), inline: body.slice(eq + 1) };
}

function isFlagWord(word: string): boolean {
  return word.length > 1 && word.startsWith("-") && word !== "--" && !/^-\d/.test(word);
}

class Args implements ParsedArgs {
  constructor(
    readonly tool: ToolDef,
    readonly command: CommandDef,
    private readonly flagDefs: Map<string, FlagDef>,
    private readonly given: Map<string, FlagValue>,
    private readonly words: Map<string, string[]>,
    readonly rest: readonly string[],
  ) {}

  private def(name: string, type: FlagDef["type"] | "any"): FlagDef {
    const def = this.flagDefs.get(name);
    if (!def) throw new Error(`internal: ${this.tool.name} ${this.command.name} has no flag --${name}`);
    if (type !== "any" && def.type !== type) throw new Error(`internal: --${name} is a ${def.type} flag, read as ${type}`);
    return def;
  }

  has(flag: string): boolean {
    this.def(flag, "any");
    return this.given.has(this.def(flag, "any").name);
  }
  string(flag: string): string | undefined {
    const def = this.def(flag, "string");
    const value = this.given.get(def.name) ?? def.default;
    return value === undefined ? undefined : String(value);
  }
  bool(flag: string): boolean {
    const def = this.def(flag, "boolean");
    return Boolean(this.given.get(def.name) ?? def.default ?? false);
  }
  number(flag: string): number | undefined {
    const def = this.def(flag, "number");
    const value = this.given.get(def.name) ?? def.default;
    return value === undefined ? undefined : Number(value);
  }
  strings(flag: string): readonly string[] {
    const def = this.def(flag, "strings");
    return (this.given.get(def.name) as readonly string[] | undefined) ?? [];
  }
  positional(name: string): string | undefined {
    return this.positionals(name)[0];
  }
  positionals(name: string): readonly string[] {
    const words = this.words.get(name);
    if (!words) throw new Error(`internal: ${this.tool.name} ${this.command.name} has no positional ${name}`);
    return words;
  }
}

function findCommand(tool: ToolDef, word: string): CommandDef | undefined {
  return tool.commands.find((c) => c.name === word || (c.aliases ?? []).includes(word));
}

/**
 * Parses argv (without the binary name). Global flags may come before the
 * command word; global and command flags may come after it.
 */
export function parseArgv(tool: ToolDef, argv: readonly string[]): ParseOutcome {
  const globalFlags = tool.globalFlags ?? [];
  const globals = flagIndex(globalFlags);
  const given = new Map<string, FlagValue>();

  const take = (index: Map<string, FlagDef>, i: number): number => {
    const word = argv[i]!;
    const { name, inline } = splitFlagWord(word);
    const flag = index.get(name);
    // A single dash only introduces a long name or a declared one-letter alias.
    if (!flag || (!word.startsWith("--") && name.length === 1 && !(flag.alias ?? []).includes(name) && flag.name !== name)) {
      throw new UsageError(`unknown flag ${word.split("=")[0]}`);
    }
    if (flag.type === "boolean") {
      given.set(flag.name, inline === undefined ? true : parseBoolean(flag, inline));
      return i + 1;
    }
    let value = inline;
    let next = i + 1;
    if (value === undefined) {
      if (next >= argv.length) throw new UsageError(`flag --${flag.name} needs a value`);
      value = argv[next]!;
      next += 1;
    }
    if (flag.type === "strings") {
      const prior = (given.get(flag.name) as string[] | undefined) ?? [];
      given.set(flag.name, [...prior, value]);
    } else {
      given.set(flag.name, convert(flag, value));
    }
    return next;
  };

  let i = 0;
  // Global flags and the command word.
  for (; i < argv.length; ) {
    const word = argv[i]!;
    if (word === "--help" || word === "-h") return { kind: "help" };
    if (word === "--version" || word === "-v") return { kind: "version" };
    if (word === "--get-yargs-completions") return { kind: "completion" };
    if (!isFlagWord(word)) break;
    i = take(globals, i);
  }
  const commandWord = argv[i];
  if (commandWord === undefined) throw new UsageError(`no command given (commands: ${tool.commands.map((c) => c.name).join(", ")})`);
  if (commandWord === "help") return { kind: "help", command: argv[i + 1] ? findCommand(tool, argv[i + 1]!) : undefined };
  if (commandWord === "completion") return { kind: "completion" };
  const command = findCommand(tool, commandWord);
  if (!command) throw new UsageError(`unknown command '${commandWord}'`);
  i += 1;

  const commandFlags = flagIndex([...globalFlags, ...(command.flags ?? [])]);
  const positionalWords: string[] = [];
  let rest: string[] = [];
  const stopAfter = command.stopParsingAfter ?? Infinity;
  for (; i < argv.length; ) {
    const word = argv[i]!;
    if (word === "--") {
      rest = argv.slice(i + 1);
      break;
    }
    if (positionalWords.length >= stopAfter) {
      positionalWords.push(...argv.slice(i));
      break;
    }
    if (word === "--help" || word === "-h") return { kind: "help", command };
    if (isFlagWord(word)) {
      i = take(commandFlags, i);
      continue;
    }
    positionalWords.push(word);
    i += 1;
  }

  // Assign positional words to their definitions.
  const words = new Map<string, string[]>();
  const defs = command.positionals ?? [];
  let cursor = 0;
  for (const def of defs) {
    if (def.variadic) {
      words.set(def.name, positionalWords.slice(cursor));
      cursor = positionalWords.length;
    } else {
      words.set(def.name, positionalWords[cursor] === undefined ? [] : [positionalWords[cursor]!]);
      cursor += 1;
    }
    if (def.required && words.get(def.name)!.length === 0) {
      throw new UsageError(`${command.name}: missing ${def.name.toUpperCase()}`);
    }
  }
  if (cursor < positionalWords.length) {
    throw new UsageError(`${command.name}: unexpected argument '${positionalWords[cursor]}'`);
  }

  const allFlags = new Map<string, FlagDef>();
  for (const flag of [...globalFlags, ...(command.flags ?? [])]) allFlags.set(flag.name, flag);
  return { kind: "run", args: new Args(tool, command, allFlags, given, words, rest) };
}
