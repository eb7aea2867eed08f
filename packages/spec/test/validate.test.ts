import { describe, expect, test } from "bun:test";
import { type Spec, type Violation, defaultSpec, validateSpec } from "../src/index.ts";

function base(): Spec {
  return defaultSpec();
}
function pointers(violations: Violation[]): string[] {
  return violations.map((v) => v.pointer);
}
function only(violations: Violation[], pointer: string): Violation {
  const hits = violations.filter((v) => v.pointer === pointer);
  expect(hits).toHaveLength(1);
  return hits[0]!;
}

describe("validateSpec: schema", () => {
  test("the default configs are valid, strictly too", () => {
    expect(validateSpec(base())).toEqual([]);
    expect(validateSpec(base(), { strict: true })).toEqual([]);
    expect(validateSpec(defaultSpec({ rootless: true }), { strict: true })).toEqual([]);
  });
  test("a non-object document", () => {
    for (const doc of [[], "x", 1, null, true]) {
      expect(validateSpec(doc).some((v) => v.pointer === "" && /object/.test(v.message))).toBe(true);
    }
  });
  test("missing ociVersion and wrong types are reported with pointers", () => {
    const spec = base() as unknown as Record<string, any>;
    delete spec.ociVersion;
    spec.process.terminal = "yes";
    spec.process.user.uid = -1;
    spec.process.args = [];
    spec.mounts[0].options = "ro";
    spec.linux.namespaces.push({ type: "bogus" });
    const v = validateSpec(spec);
    expect(only(v, "/ociVersion").message).toBe("is required");
    expect(only(v, "/process/terminal").message).toBe("must be of type boolean");
    expect(only(v, "/process/user/uid").message).toBe("must be >= 0");
    expect(only(v, "/process/args").message).toBe("must have at least 1 item");
    expect(only(v, "/mounts/0/options").message).toBe("must be of type array");
    expect(only(v, "/linux/namespaces/5/type").message).toMatch(/must be one of "mount", "pid"/);
  });
  test("integers: fractions and out-of-range values", () => {
    const spec = base();
    spec.process!.user.gid = 1.5;
    spec.process!.oomScoreAdj = 1001;
    expect(only(validateSpec(spec), "/process/user/gid").message).toBe("must be an integer");
    expect(only(validateSpec(spec), "/process/oomScoreAdj").message).toBe("must be <= 1000");
  });
  test("unknown properties are ignored, but --strict reports each with its pointer", () => {
    const spec = base() as unknown as Record<string, any>;
    spec.extra = 1;
    spec.process.user.nickname = "x";
    spec.linux.namespaces[0].flags = [];
    spec.annotations = { "any.key": "ok" }; // maps stay open
    spec.linux.sysctl = { "net.ipv4.ip_forward": "1" };
    expect(validateSpec(spec)).toEqual([]);
    const strict = validateSpec(spec, { strict: true });
    expect(pointers(strict)).toEqual(["/extra", "/linux/namespaces/0/flags", "/process/user/nickname"]);
    expect(strict[0]!.message).toMatch(/unknown property/);
  });
});

describe("validateSpec: ociVersion", () => {
  for (const ok of ["1.0.0", "1.0.0-rc1", "1.0.2-dev", "1.1.0", "1.2.0", "1.3.0", "1.10.4+build.5"]) {
    test(`accepts ${ok}`, () => {
      expect(validateSpec({ ...base(), ociVersion: ok })).toEqual([]);
    });
  }
  for (const bad of ["2.0.0", "0.5.0", "3.1.0-rc1"]) {
    test(`rejects ${bad} as unsupported`, () => {
      expect(only(validateSpec({ ...base(), ociVersion: bad }), "/ociVersion").message).toMatch(/unsupported ociVersion/);
    });
  }
  for (const bad of ["1", "1.2", "v1.2.0", "1.2.0.0", "", "01.2.0", "latest"]) {
    test(`rejects ${JSON.stringify(bad)} as malformed`, () => {
      expect(only(validateSpec({ ...base(), ociVersion: bad }), "/ociVersion").message).toMatch(/malformed ociVersion/);
    });
  }
});

describe("validateSpec: semantic checks", () => {
  test("relative mount destination", () => {
    const spec = base();
    spec.mounts!.push({ destination: "data", type: "bind", source: "/srv" });
    expect(only(validateSpec(spec), "/mounts/7/destination").message).toMatch(/absolute/);
  });
  test("duplicate namespace types", () => {
    const spec = base();
    spec.linux!.namespaces!.push({ type: "pid" });
    expect(only(validateSpec(spec), "/linux/namespaces/5/type").message).toBe('duplicate namespace type "pid"');
  });
  test("namespace path must be absolute", () => {
    const spec = base();
    spec.linux!.namespaces![1] = { type: "network", path: "var/run/netns/x" };
    expect(only(validateSpec(spec), "/linux/namespaces/1/path").message).toMatch(/absolute/);
  });
  test("every capability name is known, including the newest", () => {
    const spec = base();
    spec.process!.capabilities!.bounding!.push("CAP_CHECKPOINT_RESTORE", "CAP_BPF", "CAP_PERFMON");
    expect(validateSpec(spec)).toEqual([]);
    spec.process!.capabilities!.ambient!.push("CAP_NET_BIND", "cap_kill");
    const v = validateSpec(spec);
    expect(pointers(v)).toEqual(["/process/capabilities/ambient/3", "/process/capabilities/ambient/4"]);
    expect(v[0]!.message).toBe('unknown capability "CAP_NET_BIND"');
  });
  test("rlimits: known names, soft <= hard, no duplicates", () => {
    const spec = base();
    spec.process!.rlimits = [
      { type: "RLIMIT_NOFILE", soft: 2048, hard: 1024 },
      { type: "RLIMIT_FOO", soft: 1, hard: 1 },
      { type: "RLIMIT_NOFILE", soft: 1, hard: 1 },
      { type: "RLIMIT_CORE", soft: 0, hard: 0 },
    ];
    const v = validateSpec(spec);
    expect(only(v, "/process/rlimits/0/soft").message).toBe("soft limit 2048 is above hard limit 1024");
    expect(only(v, "/process/rlimits/1/type").message).toBe('unknown rlimit "RLIMIT_FOO"');
    expect(only(v, "/process/rlimits/2/type").message).toBe('duplicate rlimit "RLIMIT_NOFILE"');
    expect(v).toHaveLength(3);
  });
  test("uid/gid mappings: size > 0, no overlaps on either side, within 32 bits", () => {
    const spec = defaultSpec({ rootless: true, hostUid: 1000, hostGid: 1000 });
    spec.linux!.uidMappings = [
      { containerID: 0, hostID: 100000, size: 65536 },
      { containerID: 65535, hostID: 300000, size: 10 }, // container side overlaps mapping 0
      { containerID: 70000, hostID: 100010, size: 5 }, // host side overlaps mapping 0
      { containerID: 80000, hostID: 400000, size: 0 },
      { containerID: 4294967295, hostID: 500000, size: 2 },
    ];
    const v = validateSpec(spec).filter((x) => x.pointer.startsWith("/linux/uidMappings"));
    expect(v.map((x) => `${x.pointer} ${x.message}`)).toEqual([
      "/linux/uidMappings/1 container id range overlaps mapping 0",
      "/linux/uidMappings/2 host id range overlaps mapping 0",
      "/linux/uidMappings/3/size mapping size must be at least 1",
      "/linux/uidMappings/4 containerID + size is beyond the 32-bit id space",
    ]);
  });
  test("adjacent mappings do not overlap", () => {
    const spec = defaultSpec({ rootless: true });
    spec.linux!.uidMappings = [
      { containerID: 0, hostID: 1000, size: 1 },
      { containerID: 1, hostID: 100000, size: 65535 },
    ];
    expect(validateSpec(spec)).toEqual([]);
  });
  test("mappings without a user namespace are refused; a new user namespace without mappings is allowed", () => {
    const a = base();
    a.linux!.uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
    expect(only(validateSpec(a), "/linux/uidMappings").message).toMatch(/need a user namespace/);
    const b = base();
    b.linux!.namespaces!.push({ type: "user" });
    expect(validateSpec(b)).toEqual([]);
  });
  test("hook paths must be absolute; hook timeout >= 1", () => {
    const spec = base();
    spec.hooks = { prestart: [{ path: "hooks/net" }], poststop: [{ path: "/bin/true", timeout: 0 }] };
    const v = validateSpec(spec);
    expect(only(v, "/hooks/prestart/0/path").message).toMatch(/absolute/);
    expect(only(v, "/hooks/poststop/0/timeout").message).toBe("must be >= 1");
  });
  test("cwd absolute, env NAME=value, masked/readonly paths absolute, devices", () => {
    const spec = base();
    spec.process!.cwd = "work";
    spec.process!.env!.push("NOEQUALS", "=x");
    spec.linux!.maskedPaths!.push("proc/kcore");
    spec.linux!.devices = [{ path: "/dev/fuse", type: "c" }];
    const v = validateSpec(spec);
    expect(pointers(v)).toEqual(["/linux/devices/0", "/linux/maskedPaths/10", "/process/cwd", "/process/env/2", "/process/env/3"]);
  });
  test("hostname needs a UTS namespace; time offsets need a time namespace; root is required", () => {
    const spec = base();
    spec.linux!.namespaces = spec.linux!.namespaces!.filter((n) => n.type !== "uts");
    spec.linux!.timeOffsets = { monotonic: { secs: 1 } };
    delete spec.root;
    expect(pointers(validateSpec(spec))).toEqual(["/hostname", "/linux/timeOffsets", "/root"]);
  });
  test("idmapped mounts need both maps", () => {
    const spec = base();
    spec.mounts!.push({ destination: "/data", type: "bind", source: "/srv", uidMappings: [{ containerID: 0, hostID: 1000, size: 1 }] });
    expect(only(validateSpec(spec), "/mounts/7").message).toMatch(/both uidMappings and gidMappings/);
  });
  test("all violations are reported at once, schema and semantic together", () => {
    const spec = base() as unknown as Record<string, any>;
    spec.ociVersion = "2.0.0";
    spec.process.cwd = 5;
    spec.mounts[1].destination = "dev";
    spec.process.capabilities.bounding[0] = "CAP_NOPE";
    spec.process.rlimits[0].soft = 5000;
    spec.linux.namespaces.push({ type: "mount" });
    const v = validateSpec(spec);
    expect(pointers(v)).toEqual([
      "/linux/namespaces/5/type",
      "/mounts/1/destination",
      "/ociVersion",
      "/process/capabilities/bounding/0",
      "/process/cwd",
      "/process/rlimits/0/soft",
    ]);
  });
  test("semantic checks survive wrongly typed containers without throwing", () => {
    const weird = { ociVersion: "1.2.0", root: { path: "r" }, process: { cwd: "/", user: { uid: 0, gid: 0 }, capabilities: "all", rlimits: {} }, mounts: {}, linux: { namespaces: "pid", uidMappings: [null, 3] }, hooks: [] };
    expect(() => validateSpec(weird)).not.toThrow();
    expect(validateSpec(weird).length).toBeGreaterThan(3);
  });
});

describe("validateSpec: schema messages", () => {
  test("patterns and enums are worded", () => {
    const spec = base();
    spec.linux!.resources!.devices![0]!.access = "rwx";
    spec.linux!.rootfsPropagation = "rprivate" as never;
    const v = validateSpec(spec);
    expect(only(v, "/linux/resources/devices/0/access").message).toBe("must match ^[rwm]{0,3}$");
    expect(only(v, "/linux/rootfsPropagation").message).toBe('must be one of "private", "shared", "slave", "unbindable"');
  });
});
