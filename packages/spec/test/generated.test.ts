import { describe, expect, test } from "bun:test";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { generateValidatorSource } from "../scripts/build-validator.ts";

const generatedDir = join(import.meta.dir, "..", "src", "generated");
const srcDir = join(import.meta.dir, "..", "src");

describe("ahead-of-time validator", () => {
  test("regenerating from schema/*.json gives the committed bytes", () => {
    const { js, dts } = generateValidatorSource();
    // Compare lengths first so a mismatch message stays short.
    const committedJs = readFileSync(join(generatedDir, "validate.js"), "utf8");
    expect(js.length).toBe(committedJs.length);
    expect(js === committedJs).toBe(true);
    expect(dts).toBe(readFileSync(join(generatedDir, "validate.d.ts"), "utf8"));
  });

  test("the generated code imports nothing (no ajv at run time)", () => {
    const js = readFileSync(join(generatedDir, "validate.js"), "utf8");
    expect(js).not.toMatch(/\brequire\(/);
    expect(js).not.toMatch(/^\s*import\s/m);
    expect(js).toContain("export const validateConfig");
    expect(js).toContain("export const validateConfigStrict");
  });

  test("no runtime source file imports ajv", () => {
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        if (entry.isDirectory()) walk(join(dir, entry.name));
        else if (/\.(ts|js)$/.test(entry.name)) files.push(join(dir, entry.name));
      }
    };
    walk(srcDir);
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) expect({ file, ajv: /from\s+["']ajv/.test(readFileSync(file, "utf8")) }).toEqual({ file, ajv: false });
  });
});
