import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InputError, SpecError, defaultSpec, loadSpec } from "../src/index.ts";

const dir = mkdtempSync(join(tmpdir(), "oci-spec-load-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function bundle(name: string, config: unknown): string {
  const b = join(dir, name);
  mkdirSync(b);
  writeFileSync(join(b, "config.json"), typeof config === "string" ? config : JSON.stringify(config));
  return b;
}

describe("loadSpec", () => {
  test("reads a bundle directory and fills defaults", () => {
    const config = defaultSpec() as unknown as Record<string, any>;
    delete config.mounts[0].options;
    const spec = loadSpec(bundle("ok", config));
    expect(spec.mounts[0]!.options).toEqual([]);
    expect(spec.hooks).toEqual({});
    expect(spec.annotations).toEqual({});
    expect(spec.root.readonly).toBe(true);
    expect(spec.linux.namespaces).toHaveLength(5);
  });
  test("reads a file path and upgrades rc1 forms", () => {
    const file = join(dir, "rc1.json");
    const config = { ...defaultSpec(), ociVersion: "1.0.0-rc1", platform: { os: "linux", arch: "amd64" } } as Record<string, any>;
    config.process = { ...config.process, capabilities: ["CAP_KILL"] };
    writeFileSync(file, JSON.stringify(config));
    const spec = loadSpec(file);
    expect(spec.process?.capabilities).toEqual({ bounding: ["CAP_KILL"], effective: ["CAP_KILL"], permitted: ["CAP_KILL"] });
    expect(spec.ociVersion).toBe("1.2.0");
  });
  test("throws a SpecError listing every violation", () => {
    const config = defaultSpec() as unknown as Record<string, any>;
    config.process.cwd = "rel";
    config.mounts[0].destination = "proc";
    const b = bundle("bad", config);
    try {
      loadSpec(b);
      throw new Error("loadSpec accepted an invalid config");
    } catch (error) {
      expect(error).toBeInstanceOf(SpecError);
      const e = error as SpecError;
      expect(e.violations.map((v) => v.pointer)).toEqual(["/mounts/0/destination", "/process/cwd"]);
      expect(e.message).toContain(join(b, "config.json"));
      expect(e.message).toContain("2 violations");
    }
  });
  test("read and parse problems are InputErrors", () => {
    expect(() => loadSpec(join(dir, "missing"))).toThrow(InputError);
    expect(() => loadSpec(bundle("trunc", '{"ociVersion": "1.2'))).toThrow(/truncated/);
    const empty = join(dir, "emptydir");
    mkdirSync(empty);
    expect(() => loadSpec(empty)).toThrow(/no such file/);
  });
});
