import { describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OCI_VERSION, defaultSpec, validateSpec } from "../src/index.ts";

const runcPath = ["/usr/sbin/runc", "/usr/bin/runc", "/usr/local/bin/runc", "/usr/local/sbin/runc"].find((p) => existsSync(p));

function runcSpec(rootless: boolean): Record<string, unknown> {
  const dir = mkdtempSync(join(tmpdir(), "oci-spec-runc-"));
  try {
    const result = spawnSync(runcPath!, ["spec", ...(rootless ? ["--rootless"] : [])], { cwd: dir, encoding: "utf8" });
    if (result.status !== 0) throw new Error(`runc spec failed: ${result.stderr}`);
    return JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Every leaf as pointer → value, so a mismatch names the field. */
function leaves(value: unknown, pointer = "", out = new Map<string, unknown>()): Map<string, unknown> {
  if (typeof value === "object" && value !== null) {
    const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
    if (entries.length === 0) out.set(pointer, Array.isArray(value) ? [] : {});
    for (const [k, v] of entries) leaves(v, `${pointer}/${k}`, out);
  } else {
    out.set(pointer, value);
  }
  return out;
}

function compareWithRunc(ours: unknown, runc: Record<string, unknown>): void {
  expect(runc.ociVersion).toBeString();
  const theirs = leaves({ ...runc, ociVersion: OCI_VERSION });
  const mine = leaves(ours);
  for (const [pointer, value] of theirs) expect({ pointer, value: mine.get(pointer) }).toEqual({ pointer, value });
  for (const pointer of mine.keys()) expect({ pointer, inRunc: theirs.has(pointer) }).toEqual({ pointer, inRunc: true });
}

describe("defaultSpec vs runc spec", () => {
  if (!runcPath) {
    test.skip("runc is not installed: skipping the field-by-field comparison with `runc spec`", () => {});
    return;
  }
  test("default config equals `runc spec` field by field (ociVersion aside)", () => {
    compareWithRunc(defaultSpec(), runcSpec(false));
  });
  test("rootless config equals `runc spec --rootless` (mappings use this process's euid/egid)", () => {
    compareWithRunc(defaultSpec({ rootless: true }), runcSpec(true));
  });
  test("key order matches runc's output too", () => {
    expect(JSON.stringify(defaultSpec({ rootless: true }))).toBe(JSON.stringify({ ...runcSpec(true), ociVersion: OCI_VERSION }));
  });
});

describe("defaultSpec options", () => {
  test("ociVersion is the version we implement", () => {
    expect(defaultSpec().ociVersion).toBe("1.2.0");
  });
  test("args, terminal, hostname, rootPath", () => {
    const spec = defaultSpec({ args: ["/bin/echo", "hi"], terminal: false, hostname: "web", rootPath: "/srv/rootfs" });
    expect(spec.process?.args).toEqual(["/bin/echo", "hi"]);
    expect(spec.process?.terminal).toBe(false);
    expect(spec.hostname).toBe("web");
    expect(spec.root).toEqual({ path: "/srv/rootfs", readonly: true });
    expect(validateSpec(spec)).toEqual([]);
  });
  test("rootless maps the given host ids and drops netns, resources and gid= options", () => {
    const spec = defaultSpec({ rootless: true, hostUid: 1000, hostGid: 1001 });
    expect(spec.linux?.uidMappings).toEqual([{ containerID: 0, hostID: 1000, size: 1 }]);
    expect(spec.linux?.gidMappings).toEqual([{ containerID: 0, hostID: 1001, size: 1 }]);
    expect(spec.linux?.namespaces?.map((n) => n.type)).toEqual(["pid", "ipc", "uts", "mount", "user"]);
    expect(spec.linux?.resources).toBeUndefined();
    expect(spec.mounts?.find((m) => m.destination === "/dev/pts")?.options).not.toContain("gid=5");
    expect(spec.mounts?.find((m) => m.destination === "/sys")).toEqual({
      destination: "/sys",
      type: "none",
      source: "/sys",
      options: ["rbind", "nosuid", "noexec", "nodev", "ro"],
    });
    expect(validateSpec(spec)).toEqual([]);
  });
  test("each call returns a fresh object", () => {
    const a = defaultSpec();
    a.mounts!.push({ destination: "/x" });
    a.process!.capabilities!.bounding!.push("CAP_SYS_ADMIN");
    expect(defaultSpec().mounts).toHaveLength(7);
    expect(defaultSpec().process!.capabilities!.bounding).toHaveLength(3);
  });
});

describe("crun's default configs validate", () => {
  const crun = ["/usr/bin/crun", "/usr/local/bin/crun"].find((p) => existsSync(p));
  for (const rootless of [false, true]) {
    test.skipIf(!crun)(`crun spec${rootless ? " --rootless" : ""} is valid, strictly`, () => {
      const dir = mkdtempSync(join(tmpdir(), "oci-spec-crun-"));
      try {
        const result = spawnSync(crun!, ["spec", ...(rootless ? ["--rootless"] : [])], { cwd: dir, encoding: "utf8" });
        expect(result.status).toBe(0);
        expect(validateSpec(JSON.parse(readFileSync(join(dir, "config.json"), "utf8")), { strict: true })).toEqual([]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
