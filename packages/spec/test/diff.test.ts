import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { type Spec, applyJsonPatch, defaultSpec, diffSpecs, upgradeSpec } from "../src/index.ts";

/** Configs generated from the default with random edits: enough variety for diff/patch round trips. */
const specArb: fc.Arbitrary<Spec> = fc
  .record({
    rootless: fc.boolean(),
    terminal: fc.boolean(),
    args: fc.array(fc.string({ maxLength: 6 }), { minLength: 1, maxLength: 4 }),
    hostname: fc.option(fc.string({ maxLength: 8 }), { nil: undefined }),
    extraMounts: fc.array(
      fc.record({
        destination: fc.string({ maxLength: 8 }).map((s) => `/${s}`),
        type: fc.constantFrom("bind", "tmpfs"),
        source: fc.string({ maxLength: 8 }),
        options: fc.array(fc.constantFrom("ro", "rbind", "nosuid", "nodev"), { maxLength: 3 }),
      }),
      { maxLength: 3 },
    ),
    dropMount: fc.nat({ max: 7 }),
    annotations: fc.dictionary(fc.stringMatching(/^[a-z./~]{1,6}$/), fc.string({ maxLength: 6 }), { maxKeys: 3 }),
    caps: fc.subarray(["CAP_CHOWN", "CAP_KILL", "CAP_NET_RAW", "CAP_SYS_ADMIN", "CAP_AUDIT_WRITE"]),
    noNewPrivileges: fc.option(fc.boolean(), { nil: undefined }),
  })
  .map((r) => {
    const spec = defaultSpec({ rootless: r.rootless, terminal: r.terminal, args: r.args, ...(r.hostname ? { hostname: r.hostname } : {}) });
    spec.mounts = [...spec.mounts!.filter((_, i) => i !== r.dropMount), ...r.extraMounts];
    if (Object.keys(r.annotations).length > 0) spec.annotations = r.annotations;
    spec.process!.capabilities!.bounding = r.caps;
    if (r.noNewPrivileges === undefined) delete spec.process!.noNewPrivileges;
    else spec.process!.noNewPrivileges = r.noNewPrivileges;
    return spec;
  });

describe("diff", () => {
  test("applying diff(A, B) to A yields B (property-based)", () => {
    fc.assert(
      fc.property(specArb, specArb, (a, b) => {
        const patch = diffSpecs(a, b);
        expect(applyJsonPatch(a, patch)).toEqual(b);
      }),
      { numRuns: 200 },
    );
  });
  test("diff of equal configs is empty; of different ones is not", () => {
    expect(diffSpecs(defaultSpec(), defaultSpec())).toEqual([]);
    expect(diffSpecs(defaultSpec(), defaultSpec({ hostname: "x" }))).toEqual([{ op: "replace", path: "/hostname", value: "x" }]);
  });
  test("keys with / and ~ are escaped in the patch", () => {
    const a = { annotations: {} };
    const b = { annotations: { "io.example/a~b": "1" } };
    const patch = diffSpecs(a, b);
    expect(patch).toEqual([{ op: "add", path: "/annotations/io.example~1a~0b", value: "1" }]);
    expect(applyJsonPatch(a, patch)).toEqual(b);
  });
  test("diff across documents of different types replaces the root", () => {
    expect(applyJsonPatch({ a: 1 }, diffSpecs({ a: 1 }, [1, 2]))).toEqual([1, 2]);
  });
  test("the rc1 upgrade expressed as a patch", () => {
    const rc1 = { ...defaultSpec(), ociVersion: "1.0.0-rc1", process: { ...defaultSpec().process!, capabilities: ["CAP_KILL"] } };
    const upgraded = upgradeSpec(rc1).value;
    expect(applyJsonPatch(rc1, diffSpecs(rc1, upgraded))).toEqual(upgraded);
  });
});
