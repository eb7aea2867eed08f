import { expect, test } from "bun:test";
import { renderMan, roffEscape, type ToolDef } from "../src/index.ts";

const tool: ToolDef = {
  name: "oci-x",
  summary: "does x",
  description: ["First.", ".starts with a dot"],
  version: "0.1.0",
  globalFlags: [{ name: "root", type: "string", describe: "state dir", default: "/run/x" }],
  commands: [
    {
      name: "go",
      describe: "goes",
      positionals: [{ name: "id", describe: "the id", required: true }],
      flags: [
        { name: "force", alias: ["f"], type: "boolean", describe: "force it" },
        { name: "secret", type: "boolean", describe: "hidden", hidden: true },
      ],
      run: () => 0,
    },
  ],
};

test("man page has every visible flag and escapes roff", () => {
  const page = renderMan(tool);
  expect(page).toContain(".TH OCI-X 1");
  expect(page).toContain("\\fB\\-\\-force\\fR, \\fB\\-f\\fR");
  expect(page).toContain("\\-\\-root");
  expect(page).toContain("(default: /run/x)");
  expect(page).not.toContain("secret");
  expect(page).toContain("\\&.starts with a dot");
  expect(roffEscape("a\\b-c")).toBe("a\\eb\\-c");
});

test("yargs renders help from the same definition", async () => {
  const { helpText } = await import("../src/yargs.ts");
  const text = await helpText(tool, "go");
  expect(text).toContain("--force");
  expect(text).toContain("-f");
  expect(text).not.toContain("--secret");
});

test("committed man pages match the tool definitions", async () => {
  const { toolDefs } = await import("../scripts/gen-man.ts");
  const { readFileSync, existsSync } = await import("node:fs");
  const { join, resolve } = await import("node:path");
  const repo = resolve(import.meta.dir, "../../..");
  for (const def of await toolDefs()) {
    const path = join(repo, "man", `${def.name}.1`);
    expect(existsSync(path)).toBe(true);
    expect(readFileSync(path, "utf8")).toBe(renderMan(def));
  }
});
