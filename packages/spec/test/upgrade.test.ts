import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { defaultSpec, upgradeSpec, validateSpec } from "../src/index.ts";

const seedPath = "/work/shared/fixtures/seed-config-fragments.json";
const localSeed = new URL("../../../test/fixtures/spec/seed-config-fragments.json", import.meta.url);
function seed(): Record<string, any> {
  // The shared fixture when present; the project's copy otherwise (CI clones without /work/shared).
  try {
    return JSON.parse(readFileSync(seedPath, "utf8"));
  } catch {
    return JSON.parse(readFileSync(localSeed, "utf8"));
  }
}

/** Users merge the fragments into `oci-spec init` output: top-level keys, process and linux merged shallowly. */
function mergeIntoDefault(fragment: Record<string, any>): Record<string, any> {
  const base = defaultSpec() as unknown as Record<string, any>;
  return {
    ...base,
    ...fragment,
    process: { ...base.process, ...fragment.process },
    linux: { ...base.linux, ...fragment.linux, namespaces: mergeNamespaces(base.linux.namespaces, fragment.linux?.namespaces ?? []) },
  };
}
function mergeNamespaces(base: { type: string }[], extra: { type: string }[]): unknown[] {
  return [...base.filter((ns) => !extra.some((e) => e.type === ns.type)), ...extra];
}

describe("upgradeSpec on the seed fragments (runtime-spec 1.0.0-rc1)", () => {
  test("the fragment file as written is not valid 1.x (flat capabilities)", () => {
    expect(validateSpec(seed()).map((v) => v.pointer)).toEqual(["/process/capabilities"]);
  });
  test("upgraded, the fragment file is valid", () => {
    const { value, violations } = upgradeSpec(seed());
    expect(violations).toEqual([]);
    expect(validateSpec(value)).toEqual([]);
    expect(validateSpec(value, { strict: true })).toEqual([]);
  });
  test("upgraded and merged into the default config it is valid and keeps every setting", () => {
    const { value } = upgradeSpec(mergeIntoDefault(seed()));
    const spec = value as Record<string, any>;
    expect(validateSpec(spec)).toEqual([]);
    expect(spec.ociVersion).toBe("1.2.0");
    expect(spec.platform).toBeUndefined();
    expect(spec.process.capabilities).toEqual({
      bounding: ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
      effective: ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
      permitted: ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
    });
    expect(spec.root).toEqual({ path: "rootfs", readonly: true });
    expect(spec.mounts.map((m: { destination: string }) => m.destination)).toEqual(["/tmp", "/data"]);
    expect(spec.hooks.poststart[0]).toEqual({ path: "/usr/bin/notify-start", timeout: 5 });
    expect(spec.hooks.poststop[0].args).toEqual(["cleanup.sh", "-f"]);
    expect(spec.linux.namespaces).toContainEqual({ type: "network", path: "/var/run/netns/runc" });
    expect(spec.process.rlimits).toEqual([{ type: "RLIMIT_NOFILE", hard: 1024, soft: 1024 }]);
  });
  test("the input is not modified and the changes are listed", () => {
    const input = seed();
    const before = JSON.stringify(input);
    const { changes } = upgradeSpec(input);
    expect(JSON.stringify(input)).toBe(before);
    expect(changes.map((c) => c.pointer)).toEqual(["/ociVersion", "/platform", "/process/capabilities"]);
  });
});

describe("upgradeSpec forms", () => {
  test("platform for another OS is a violation", () => {
    const { violations, value } = upgradeSpec({ ...defaultSpec(), platform: { os: "windows", arch: "amd64" } });
    expect(violations).toEqual([{ pointer: "/platform/os", message: expect.stringContaining("windows") }]);
    expect((value as Record<string, unknown>).platform).toBeUndefined();
  });
  test("linux.rlimits moves to process.rlimits", () => {
    const spec = defaultSpec() as unknown as Record<string, any>;
    delete spec.process.rlimits;
    spec.linux.rlimits = [{ type: "RLIMIT_NPROC", soft: 10, hard: 20 }];
    const out = upgradeSpec(spec).value as Record<string, any>;
    expect(out.process.rlimits).toEqual([{ type: "RLIMIT_NPROC", soft: 10, hard: 20 }]);
    expect(out.linux.rlimits).toBeUndefined();
  });
  test("linux.resources.oomScoreAdj moves to process", () => {
    const spec = defaultSpec() as unknown as Record<string, any>;
    spec.linux.resources.oomScoreAdj = 300;
    const out = upgradeSpec(spec).value as Record<string, any>;
    expect(out.process.oomScoreAdj).toBe(300);
    expect("oomScoreAdj" in out.linux.resources).toBe(false);
  });
  test("blkio-prefixed blockIO names are renamed", () => {
    const spec = defaultSpec() as unknown as Record<string, any>;
    spec.linux.resources.blockIO = { blkioWeight: 500, blkioThrottleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }] };
    const out = upgradeSpec(spec).value as Record<string, any>;
    expect(out.linux.resources.blockIO).toEqual({ weight: 500, throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }] });
    expect(validateSpec(out, { strict: true })).toEqual([]);
  });
  test("seccomp syscalls[].name becomes names", () => {
    const spec = defaultSpec() as unknown as Record<string, any>;
    spec.linux.seccomp = { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ name: "mount", action: "SCMP_ACT_ERRNO" }, { names: ["umount2"], action: "SCMP_ACT_ERRNO" }] };
    const out = upgradeSpec(spec).value as Record<string, any>;
    expect(out.linux.seccomp.syscalls).toEqual([
      { names: ["mount"], action: "SCMP_ACT_ERRNO" },
      { names: ["umount2"], action: "SCMP_ACT_ERRNO" },
    ]);
    expect(validateSpec(out, { strict: true })).toEqual([]);
  });
  test("a 1.x config is left as it is", () => {
    const spec = defaultSpec();
    const { value, changes } = upgradeSpec(spec);
    expect(changes).toEqual([]);
    expect(value).toEqual(spec);
  });
  test("non-objects pass through untouched", () => {
    expect(upgradeSpec([1]).value).toEqual([1]);
    expect(upgradeSpec(null).changes).toEqual([]);
  });
});
