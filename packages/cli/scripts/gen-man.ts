/**
 * Writes man/<tool>.1 for every package that defines a tool (src/cli.ts
 * exporting `tool`). With --check, compares instead and exits 1 on drift.
 */
import { readdirSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { renderMan, type ToolDef } from "../src/index.ts";

const repo = resolve(import.meta.dir, "../../..");

export async function toolDefs(): Promise<ToolDef[]> {
  const defs: ToolDef[] = [];
  for (const pkg of readdirSync(join(repo, "packages")).sort()) {
    const cli = join(repo, "packages", pkg, "src", "cli.ts");
    if (!existsSync(cli)) continue;
    const mod = (await import(cli)) as { tool?: ToolDef };
    if (!mod.tool) throw new Error(`${cli} does not export 'tool'`);
    defs.push(mod.tool);
  }
  return defs;
}

if (import.meta.main) {
  const check = process.argv.includes("--check");
  let drift = 0;
  for (const tool of await toolDefs()) {
    const path = join(repo, "man", `${tool.name}.1`);
    const page = renderMan(tool);
    if (check) {
      if (!existsSync(path) || readFileSync(path, "utf8") !== page) {
        console.error(`man/${tool.name}.1 is out of date: run 'bun packages/cli/scripts/gen-man.ts'`);
        drift += 1;
      }
    } else {
      writeFileSync(path, page);
      console.log(`wrote man/${tool.name}.1`);
    }
  }
  process.exit(drift ? 1 : 0);
}
