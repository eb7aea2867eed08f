import { describe, expect, test } from "bun:test";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { generateValidatorSources } from "../scripts/build-validator.ts";

const generatedDir = join(import.meta.dir, "..", "src", "generated");
const srcDir = join(import.meta.dir, "..", "src");

describe("ahead-of-time validator", () => {
  test("regenerating from schema/*.json gives the committed bytes", () => {
    const files = generateValidatorSources();
    expect(files.map((f) => f.path.slice(generatedDir.length + 1)).sort()).toEqual([
      "validate-strict.d.ts",
      "validate-strict.js",
      "validate.d.ts",
      "validate.js",
    ]);
    for (const { path, text } of files) {
      const committed = readFileSync(path, "utf8");
      // Compare a boolean so a mismatch does not print 100 KB of code.
      expect({ path, upToDate: committed === text }).toEqual({ path, upToDate: true });
    }
  });

  test("the generated code imports nothing (no ajv at run time)", () => {
    for (const [name, exported] of [
      ["validate.js", "validateConfig"],
      ["validate-strict.js", "validateConfigStrict"],
    ] as const) {
      const js = readFileSync(join(generatedDir, name), "utf8");
      expect(js).not.toMatch(/\brequire\(/);
      expect(js).not.toMatch(/^\s*import\s/m);
      expect(js).toContain(`export const ${exported} =`);
    }
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
