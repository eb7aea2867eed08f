import { describe, expect, test } from "bun:test";
import { PlanError } from "@oci-tools/plan";
import type { LoadedSpec, Spec } from "@oci-tools/spec";
import { hasNamespace, MAX_ID_MAP_LINES, NAMESPACE_ORDER, planNamespaces, type NsSpec } from "../src/index.ts";

// The spec package's types must be accepted as they are.
const _fromSpec: NsSpec = {} as Spec;
const _fromLoaded: NsSpec = {} as LoadedSpec;

const ns = (...entries: { type: string; path?: string }[]): NsSpec => ({ linux: { namespaces: entries } });
const map = (containerID: number, hostID: number, size: number) => ({ containerID, hostID, size });

function planError(f: () => unknown): PlanError {
  try {
    f();
  } catch (e) {
    if (e instanceof PlanError) return e;
    throw e;
  }
  throw new Error("expected a PlanError");
}

describe("create and join", () => {
  test("no linux section: nothing created or joined", () => {
    expect(planNamespaces({})).toEqual({ join: [], create: [] });
  });

  test("every type is created, listed in runc's order whatever the input order", () => {
    const input = [...NAMESPACE_ORDER].reverse().map((type) => ({ type }));
    const plan = planNamespaces({
      linux: { namespaces: input, uidMappings: [map(0, 100000, 65536)], gidMappings: [map(0, 100000, 65536)] },
    });
    expect(plan.create).toEqual(["user", "ipc", "uts", "network", "pid", "mount", "cgroup", "time"]);
    expect(plan.join).toEqual([]);
  });

  test("a path means join; user is joined first and mount late", () => {
    const plan = planNamespaces(
      ns(
        { type: "mount", path: "/proc/42/ns/mnt" },
        { type: "network", path: "/var/run/netns/runc" },
        { type: "user", path: "/proc/42/ns/user" },
        { type: "pid" },
      ),
    );
    expect(plan.join).toEqual([
      { type: "user", path: "/proc/42/ns/user" },
      { type: "network", path: "/var/run/netns/runc" },
      { type: "mount", path: "/proc/42/ns/mnt" },
    ]);
    expect(plan.create).toEqual(["pid"]);
    expect(plan.idMappings).toBeUndefined();
  });

  test("an empty path is a new namespace", () => {
    expect(planNamespaces(ns({ type: "ipc", path: "" }))).toEqual({ join: [], create: ["ipc"] });
  });

  test("the seed's netns join by path, with the default namespaces", () => {
    const plan = planNamespaces(
      ns({ type: "pid" }, { type: "ipc" }, { type: "uts" }, { type: "mount" }, { type: "network", path: "/var/run/netns/runc" }),
    );
    expect(plan).toEqual({ join: [{ type: "network", path: "/var/run/netns/runc" }], create: ["ipc", "uts", "pid", "mount"] });
  });

  test("unknown type, duplicate type, relative path and NUL are errors", () => {
    expect(planError(() => planNamespaces(ns({ type: "net" }))).message).toBe(
      'linux.namespaces[0].type: unknown namespace type "net" (one of user, ipc, uts, network, pid, mount, cgroup, time)',
    );
    expect(planError(() => planNamespaces(ns({ type: "pid" }, { type: "pid", path: "/proc/1/ns/pid" }))).message).toBe(
      'linux.namespaces[1]: namespace "pid" is listed twice',
    );
    expect(planError(() => planNamespaces(ns({ type: "pid" }, { type: "pid" }))).field).toBe("linux.namespaces[1]");
    expect(planError(() => planNamespaces(ns({ type: "network", path: "var/run/netns/x" }))).message).toContain("must be an absolute path");
    expect(planError(() => planNamespaces(ns({ type: "network", path: "/var/run/\0x" }))).message).toContain("NUL");
  });

  test("hasNamespace sees created and joined namespaces", () => {
    const plan = planNamespaces(ns({ type: "uts" }, { type: "network", path: "/var/run/netns/a" }));
    expect(hasNamespace(plan, "uts")).toBe(true);
    expect(hasNamespace(plan, "network")).toBe(true);
    expect(hasNamespace(plan, "pid")).toBe(false);
  });
});

describe("user namespace and id mappings", () => {
  const userns = (uid: ReturnType<typeof map>[] | undefined, gid: ReturnType<typeof map>[] | undefined, path?: string): NsSpec => ({
    linux: { namespaces: [path ? { type: "user", path } : { type: "user" }, { type: "mount" }], uidMappings: uid, gidMappings: gid },
  });

  test("a new user namespace carries its mappings, setgroups allowed when privileged", () => {
    const plan = planNamespaces(userns([map(0, 100000, 65536)], [map(0, 200000, 65536)]));
    expect(plan.create).toEqual(["user", "mount"]);
    expect(plan.idMappings).toEqual({ uid: [map(0, 100000, 65536)], gid: [map(0, 200000, 65536)], setgroups: "allow" });
  });

  test("several non-overlapping ranges are kept in order", () => {
    const uid = [map(1000, 1000, 1), map(0, 100000, 1000), map(1001, 101001, 64535)];
    expect(planNamespaces(userns(uid, [map(0, 0, 1)])).idMappings?.uid).toEqual(uid);
  });

  test("mappings without a user namespace are an error (runc)", () => {
    const e = planError(() => planNamespaces({ linux: { namespaces: [{ type: "pid" }], uidMappings: [map(0, 1000, 1)] } }));
    expect(e.message).toBe('linux.uidMappings: uid/gid mappings are given but linux.namespaces has no "user" namespace');
    expect(() => planNamespaces({ linux: { gidMappings: [map(0, 1000, 1)] } })).toThrow(PlanError);
  });

  test("a new user namespace without uid or gid mappings is an error", () => {
    expect(planError(() => planNamespaces(userns(undefined, [map(0, 1, 1)]))).message).toBe(
      "linux.uidMappings: a new user namespace needs uid mappings",
    );
    expect(planError(() => planNamespaces(userns([map(0, 1, 1)], []))).message).toBe(
      "linux.gidMappings: a new user namespace needs gid mappings",
    );
  });

  test("rootless without mappings: the caller's own ids become root (crun)", () => {
    const plan = planNamespaces(userns(undefined, undefined), { rootless: { euid: 1000, egid: 1001 } });
    expect(plan.idMappings).toEqual({ uid: [map(0, 1000, 1)], gid: [map(0, 1001, 1)], setgroups: "deny" });
    expect(planNamespaces(userns(undefined, [map(0, 1001, 1)]), { rootless: { euid: 1000, egid: 1001 } }).idMappings?.uid).toEqual([map(0, 1000, 1)]);
  });

  test("joining a user namespace by path ignores mappings (its owner wrote them)", () => {
    const plan = planNamespaces(userns([map(0, 1000, 1)], [map(0, 1000, 1)], "/proc/7/ns/user"));
    expect(plan.join).toEqual([{ type: "user", path: "/proc/7/ns/user" }]);
    expect(plan.idMappings).toBeUndefined();
  });

  test("overlapping ranges on either side are rejected like the kernel", () => {
    expect(planError(() => planNamespaces(userns([map(0, 1000, 10), map(5, 5000, 10)], [map(0, 0, 1)]))).message).toBe(
      "linux.uidMappings: mappings 0 and 1 overlap in containerID",
    );
    expect(planError(() => planNamespaces(userns([map(0, 0, 1)], [map(0, 1000, 10), map(100, 1009, 1)]))).message).toBe(
      "linux.gidMappings: mappings 0 and 1 overlap in hostID",
    );
    // adjacent is fine
    expect(planNamespaces(userns([map(0, 1000, 10), map(10, 1010, 10)], [map(0, 0, 1)])).idMappings?.uid).toHaveLength(2);
  });

  test("size 0, negative, fractional and out-of-range ids are rejected", () => {
    expect(planError(() => planNamespaces(userns([map(0, 0, 0)], [map(0, 0, 1)]))).field).toBe("linux.uidMappings[0].size");
    expect(planError(() => planNamespaces(userns([map(-1, 0, 1)], [map(0, 0, 1)]))).field).toBe("linux.uidMappings[0].containerID");
    expect(planError(() => planNamespaces(userns([map(0, 1.5, 1)], [map(0, 0, 1)]))).field).toBe("linux.uidMappings[0].hostID");
    expect(planError(() => planNamespaces(userns([map(0, 0, 1)], [map(0, 4294967295, 2)]))).message).toContain("runs past");
    expect(planNamespaces(userns([map(0, 4294967294, 1)], [map(0, 0, 1)])).idMappings?.uid[0]?.hostID).toBe(4294967294);
  });

  test(`more than ${MAX_ID_MAP_LINES} lines are rejected`, () => {
    const many = Array.from({ length: MAX_ID_MAP_LINES + 1 }, (_, i) => map(i, 1000 + i, 1));
    expect(planError(() => planNamespaces(userns(many, [map(0, 0, 1)]))).message).toContain("at most 340");
    expect(planNamespaces(userns(many.slice(0, MAX_ID_MAP_LINES), [map(0, 0, 1)])).idMappings?.uid).toHaveLength(MAX_ID_MAP_LINES);
  });

  test("rootless: setgroups deny, and only the caller's own id may be mapped", () => {
    const rootless = { rootless: { euid: 1000, egid: 1001 } };
    const plan = planNamespaces(userns([map(0, 1000, 1)], [map(0, 1001, 1)]), rootless);
    expect(plan.idMappings).toEqual({ uid: [map(0, 1000, 1)], gid: [map(0, 1001, 1)], setgroups: "deny" });
    expect(planError(() => planNamespaces(userns([map(0, 1000, 2)], [map(0, 1001, 1)]), rootless)).message).toContain(
      "only possible mapping is your own uid",
    );
    expect(planError(() => planNamespaces(userns([map(0, 1000, 1)], [map(0, 1000, 1)]), rootless)).field).toBe("linux.gidMappings");
    expect(() => planNamespaces(userns([map(0, 1000, 1), map(1, 1001, 1)], [map(0, 1001, 1)]), rootless)).toThrow(PlanError);
  });
});

describe("time namespace", () => {
  test("offsets go with a new time namespace", () => {
    const plan = planNamespaces({
      linux: { namespaces: [{ type: "time" }], timeOffsets: { monotonic: { secs: 3600, nanosecs: 5 }, boottime: { secs: -86400 } } },
    });
    expect(plan.create).toEqual(["time"]);
    expect(plan.timeOffsets).toEqual({ monotonic: { secs: 3600, nanosecs: 5 }, boottime: { secs: -86400, nanosecs: 0 } });
  });

  test("a time namespace without offsets has no timeOffsets", () => {
    expect(planNamespaces(ns({ type: "time" }))).toEqual({ join: [], create: ["time"] });
    expect(planNamespaces({ linux: { namespaces: [{ type: "time" }], timeOffsets: {} } })).toEqual({ join: [], create: ["time"] });
  });

  test("offsets without a time namespace, or with a joined one, are errors", () => {
    expect(planError(() => planNamespaces({ linux: { timeOffsets: { monotonic: { secs: 1 } } } })).message).toBe(
      'linux.timeOffsets: time offsets are given but linux.namespaces has no "time" namespace',
    );
    expect(
      planError(() =>
        planNamespaces({ linux: { namespaces: [{ type: "time", path: "/proc/9/ns/time" }], timeOffsets: { boottime: { secs: 1 } } } }),
      ).message,
    ).toBe("linux.timeOffsets: time offsets cannot be set when joining the existing time namespace /proc/9/ns/time");
    // joining without offsets is fine
    expect(planNamespaces(ns({ type: "time", path: "/proc/9/ns/time" })).join).toEqual([{ type: "time", path: "/proc/9/ns/time" }]);
  });

  test("unknown clocks and bad nanoseconds are errors", () => {
    const withOffsets = (timeOffsets: Record<string, { secs?: number; nanosecs?: number }>) => () =>
      planNamespaces({ linux: { namespaces: [{ type: "time" }], timeOffsets } });
    expect(planError(withOffsets({ realtime: { secs: 1 } })).message).toContain("unknown clock");
    expect(planError(withOffsets({ monotonic: { nanosecs: 1_000_000_000 } })).field).toBe("linux.timeOffsets.monotonic.nanosecs");
    expect(planError(withOffsets({ monotonic: { nanosecs: -1 } })).field).toBe("linux.timeOffsets.monotonic.nanosecs");
    expect(planError(withOffsets({ boottime: { secs: 1.5 } })).field).toBe("linux.timeOffsets.boottime.secs");
  });
});
