/**
 * DESIGN.md "Fast path": state/start/kill/delete/list must not load yargs,
 * ajv (the spec validator), pino or koffi. Runs the commands in a fresh Bun
 * process and lists the modules it loaded.
 */
import { expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { join } from "node:path";

const probe = `
const { tool } = await import(${JSON.stringify(join(import.meta.dir, "../src/cli.ts"))});
const { runToolStatus } = await import("@oci-tools/cli");
const io = { stdout: () => {}, stderr: () => {} };
for (const argv of [["state", "x"], ["start", "x"], ["kill", "x", "KILL"], ["delete", "-f", "x"], ["list"], ["list", "--format", "json"]]) {
  await runToolStatus(tool, ["--root", "/nonexistent/oci-run-fast-path", ...argv], io);
}
const keys = Object.keys(require.cache);
process.stdout.write(JSON.stringify(keys));
`;

test("lifecycle commands load no yargs, ajv, pino, koffi or the spec validator", () => {
  const r = spawnSync(process.execPath, ["-e", probe], { cwd: join(import.meta.dir, ".."), encoding: "utf8" });
  expect(r.stderr).toBe("");
  const loaded = JSON.parse(r.stdout) as string[];
  expect(loaded.some((k) => k.includes("/packages/run/src/lifecycle.ts"))).toBe(true); // the probe saw the module graph
  expect(loaded.filter((k) => /yargs|ajv|pino|koffi|packages\/spec\/|packages\/sys\/|create\.ts|log\.ts/.test(k))).toEqual([]);
});

test("errors with --log-format json do load pino (so the probe can tell)", () => {
  const p = probe.replace('["state", "x"]', '["--log-format", "json", "state", "x"]');
  const r = spawnSync(process.execPath, ["-e", p], { cwd: join(import.meta.dir, ".."), encoding: "utf8" });
  const loaded = JSON.parse(r.stdout) as string[];
  expect(loaded.some((k) => k.includes("pino"))).toBe(true);
});
