/**
 * Declarative command-line definitions. One ToolDef per binary is the single
 * source for the fast parser (hot path), the yargs program (help, completion),
 * and the man page — so the three cannot drift apart.
 */

export type FlagType = "string" | "boolean" | "number" | "strings";

export interface FlagDef {
  /** Long name without dashes, e.g. "pid-file". */
  readonly name: string;
  /** Other names: single letters become -x, longer ones --name. */
  readonly alias?: readonly string[];
  readonly type: FlagType;
  readonly describe: string;
  readonly default?: string | number | boolean;
  readonly choices?: readonly string[];
  /** Accepted (for compatibility) but not shown in help or man pages. */
  readonly hidden?: boolean;
}

export interface PositionalDef {
  readonly name: string;
  readonly describe: string;
  readonly required?: boolean;
  /** Takes every remaining positional (must be last). */
  readonly variadic?: boolean;
}

export interface CommandIO {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

export interface CommandDef {
  readonly name: string;
  readonly aliases?: readonly string[];
  readonly describe: string;
  readonly positionals?: readonly PositionalDef[];
  readonly flags?: readonly FlagDef[];
  /**
   * Once this many positionals have been seen, every later word is taken
   * as-is (flags included) into the last variadic positional — for
   * `exec ID CMD --its-own-flags`, as runc does. `--` always ends flags.
   */
  readonly stopParsingAfter?: number;
  readonly examples?: readonly { readonly cmd: string; readonly describe: string }[];
  readonly run: (args: ParsedArgs, io: CommandIO) => number | Promise<number>;
}

export interface ToolDef {
  /** Binary name, e.g. "oci-spec". */
  readonly name: string;
  /** One line for NAME in the man page. */
  readonly summary: string;
  /** Paragraphs for DESCRIPTION. */
  readonly description: readonly string[];
  readonly version: string;
  /** Replaces the default one-line `--version` output (oci-run prints runc's three lines). */
  readonly versionText?: () => string;
  readonly globalFlags?: readonly FlagDef[];
  readonly commands: readonly CommandDef[];
  readonly examples?: readonly { readonly cmd: string; readonly describe: string }[];
  readonly seeAlso?: readonly string[];
}

export type FlagValue = string | number | boolean | readonly string[];

/** What a command receives: typed accessors that refuse names the definition lacks. */
export interface ParsedArgs {
  readonly tool: ToolDef;
  readonly command: CommandDef;
  /** Words after a bare `--`. */
  readonly rest: readonly string[];
  /** Was the flag given on the command line (not just defaulted)? */
  has(flag: string): boolean;
  string(flag: string): string | undefined;
  bool(flag: string): boolean;
  number(flag: string): number | undefined;
  strings(flag: string): readonly string[];
  positional(name: string): string | undefined;
  positionals(name: string): readonly string[];
}
