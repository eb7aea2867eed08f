import { describe, expect, test } from "bun:test";
import { parseArgv, UsageError, type ToolDef, runToolStatus } from "../src/index.ts";

const tool: ToolDef = {
  name: "oci-demo",
  summary: "a demo tool",
  description: ["Demo."],
  version: "1.2.3",
  globalFlags: [
    { name: "root", type: "string", describe: "state dir", default: "/run/x" },
    { name: "debug", type: "boolean", describe: "debug" },
  ],
  commands: [
    {
      name: "create",
      describe: "create",
      positionals: [{ name: "id", describe: "id", required: true }],
      flags: [
        { name: "bundle", alias: ["b"], type: "string", describe: "bundle", default: "." },
        { name: "preserve-fds", type: "number", describe: "fds", default: 0 },
        { name: "env", alias: ["e"], type: "strings", describe: "env" },
        { name: "format", type: "string", describe: "fmt", choices: ["table", "json"] },
      ],
      run: (args, io) => {
        io.stdout(JSON.stringify([args.positional("id"), args.string("bundle"), args.number("preserve-fds")]));
        return 7;
      },
    },
    {
      name: "exec",
      describe: "exec",
      positionals: [
        { name: "id", describe: "id", required: true },
        { name: "command", describe: "cmd", variadic: true },
      ],
      flags: [{ name: "tty", alias: ["t"], type: "boolean", describe: "tty" }],
      stopParsingAfter: 1,
      run: () => 0,
    },
  ],
};

function run(argv: string[]) {
  const outcome = parseArgv(tool, argv);
  if (outcome.kind !== "run") throw new Error(`expected run, got ${outcome.kind}`);
  return outcome.args;
}

describe("parseArgv", () => {
  test("long, short, inline and single-dash long flags", () => {
    for (const argv of [
      ["create", "--bundle", "/b", "c1"],
      ["create", "--bundle=/b", "c1"],
      ["create", "-b", "/b", "c1"],
      ["create", "-bundle", "/b", "c1"],
      ["create", "c1", "--bundle", "/b"],
    ]) {
      const args = run(argv);
      expect(args.positional("id")).toBe("c1");
      expect(args.string("bundle")).toBe("/b");
      expect(args.has("bundle")).toBe(true);
    }
  });

  test("defaults, numbers, repeatable strings, global flags before the command", () => {
    const args = run(["--root", "/r", "--debug", "create", "-e", "A=1", "--env=B=2", "--preserve-fds", "3", "c1"]);
    expect(args.string("root")).toBe("/r");
    expect(args.bool("debug")).toBe(true);
    expect(args.number("preserve-fds")).toBe(3);
    expect(args.strings("env")).toEqual(["A=1", "B=2"]);
    const plain = run(["create", "c1"]);
    expect(plain.string("bundle")).toBe(".");
    expect(plain.has("bundle")).toBe(false);
    expect(plain.string("root")).toBe("/run/x");
    expect(plain.bool("debug")).toBe(false);
  });

  test("boolean flags take =true/=false", () => {
    expect(run(["--debug=false", "create", "c"]).bool("debug")).toBe(false);
    expect(() => run(["--debug=maybe", "create", "c"])).toThrow(UsageError);
  });

  test("stopParsingAfter hands the container command its own flags", () => {
    const args = run(["exec", "-t", "c1", "sh", "-c", "echo --bundle"]);
    expect(args.bool("tty")).toBe(true);
    expect(args.positionals("command")).toEqual(["sh", "-c", "echo --bundle"]);
  });

  test("`--` ends flags", () => {
    const args = run(["create", "c1", "--", "--bundle", "x"]);
    expect(args.rest).toEqual(["--bundle", "x"]);
    expect(args.string("bundle")).toBe(".");
  });

  test("usage errors", () => {
    expect(() => parseArgv(tool, [])).toThrow(/no command/);
    expect(() => parseArgv(tool, ["nope"])).toThrow(/unknown command 'nope'/);
    expect(() => parseArgv(tool, ["create"])).toThrow(/missing ID/);
    expect(() => parseArgv(tool, ["create", "a", "b"])).toThrow(/unexpected argument 'b'/);
    expect(() => parseArgv(tool, ["create", "--bogus", "a"])).toThrow(/unknown flag --bogus/);
    expect(() => parseArgv(tool, ["create", "a", "--bundle"])).toThrow(/needs a value/);
    expect(() => parseArgv(tool, ["create", "a", "--preserve-fds", "x"])).toThrow(/takes a number/);
    expect(() => parseArgv(tool, ["create", "a", "--format", "xml"])).toThrow(/one of table, json/);
  });

  test("help, version and completion are recognised without running anything", () => {
    expect(parseArgv(tool, ["--help"]).kind).toBe("help");
    expect(parseArgv(tool, ["create", "--help"])).toMatchObject({ kind: "help", command: { name: "create" } });
    expect(parseArgv(tool, ["help", "exec"])).toMatchObject({ kind: "help", command: { name: "exec" } });
    expect(parseArgv(tool, ["--version"]).kind).toBe("version");
    expect(parseArgv(tool, ["completion"]).kind).toBe("completion");
  });

  test("reading an undeclared flag is a programming error", () => {
    expect(() => run(["create", "c"]).string("nope")).toThrow(/internal/);
    expect(() => run(["create", "c"]).bool("bundle")).toThrow(/internal/);
  });
});

describe("runToolStatus", () => {
  test("returns the command's status and prints one line for errors", async () => {
    let out = "";
    let err = "";
    const io = { stdout: (t: string) => void (out += t), stderr: (t: string) => void (err += t) };
    expect(await runToolStatus(tool, ["create", "c9"], io)).toBe(7);
    expect(JSON.parse(out)).toEqual(["c9", ".", 0]);
    expect(await runToolStatus(tool, ["create"], io)).toBe(2);
    expect(err.split("\n")[0]).toBe("oci-demo: create: missing ID");
    out = "";
    expect(await runToolStatus(tool, ["--version"], io)).toBe(0);
    expect(out).toBe("oci-demo version 1.2.3\n");
  });
});
