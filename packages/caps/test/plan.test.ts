import { describe, expect, test } from "bun:test";
import { PlanError, type Op } from "@oci-tools/plan";
import type { LoadedSpec, Spec } from "@oci-tools/spec";
import { CAPABILITIES, capabilityNames, capabilitySets, lacksHome, planProcess, RLIM_INFINITY, RLIMITS, rlimitValue, type CapsSpec } from "../src/index.ts";

const _fromSpec: CapsSpec = {} as Spec;
const _fromLoaded: CapsSpec = {} as LoadedSpec;

function planError(f: () => unknown): PlanError {
  try {
    f();
  } catch (e) {
    if (e instanceof PlanError) return e;
    throw e;
  }
  throw new Error("expected a PlanError");
}

const opsOf = (spec: CapsSpec, opts = {}): Op[] => [...(planProcess(spec, opts).processOps ?? [])];
const only = <N extends Op["op"]>(ops: Op[], name: N) => ops.filter((o): o is Extract<Op, { op: N }> => o.op === name);

// capability(7) numbering, written out independently of the spec package's list.
const CAP_NUMBERS: [string, number][] = [
  ["CAP_CHOWN", 0], ["CAP_DAC_OVERRIDE", 1], ["CAP_DAC_READ_SEARCH", 2], ["CAP_FOWNER", 3], ["CAP_FSETID", 4], ["CAP_KILL", 5],
  ["CAP_SETGID", 6], ["CAP_SETUID", 7], ["CAP_SETPCAP", 8], ["CAP_LINUX_IMMUTABLE", 9], ["CAP_NET_BIND_SERVICE", 10],
  ["CAP_NET_BROADCAST", 11], ["CAP_NET_ADMIN", 12], ["CAP_NET_RAW", 13], ["CAP_IPC_LOCK", 14], ["CAP_IPC_OWNER", 15],
  ["CAP_SYS_MODULE", 16], ["CAP_SYS_RAWIO", 17], ["CAP_SYS_CHROOT", 18], ["CAP_SYS_PTRACE", 19], ["CAP_SYS_PACCT", 20],
  ["CAP_SYS_ADMIN", 21], ["CAP_SYS_BOOT", 22], ["CAP_SYS_NICE", 23], ["CAP_SYS_RESOURCE", 24], ["CAP_SYS_TIME", 25],
  ["CAP_SYS_TTY_CONFIG", 26], ["CAP_MKNOD", 27], ["CAP_LEASE", 28], ["CAP_AUDIT_WRITE", 29], ["CAP_AUDIT_CONTROL", 30],
  ["CAP_SETFCAP", 31], ["CAP_MAC_OVERRIDE", 32], ["CAP_MAC_ADMIN", 33], ["CAP_SYSLOG", 34], ["CAP_WAKE_ALARM", 35],
  ["CAP_BLOCK_SUSPEND", 36], ["CAP_AUDIT_READ", 37], ["CAP_PERFMON", 38], ["CAP_BPF", 39], ["CAP_CHECKPOINT_RESTORE", 40],
];

describe("capabilities", () => {
  test("the name table is capability(7)'s", () => {
    expect(Object.entries(CAPABILITIES)).toEqual(CAP_NUMBERS);
  });

  for (const [name, bit] of CAP_NUMBERS) {
    test(`${name} is bit ${bit} in every set it is named in`, () => {
      const caps = capabilitySets({ process: { capabilities: { bounding: [name], permitted: [name], inheritable: [name], effective: [name], ambient: [name] } } });
      const mask = 1n << BigInt(bit);
      expect(caps).toEqual({ bounding: mask, effective: mask, inheritable: mask, permitted: mask, ambient: mask });
      expect(capabilityNames(mask)).toEqual([name]);
    });
  }

  test("no capabilities field: every set empty (runc)", () => {
    expect(capabilitySets({})).toEqual({ bounding: 0n, effective: 0n, inheritable: 0n, permitted: 0n, ambient: 0n });
    expect(capabilitySets({ process: { capabilities: {} } })).toEqual({ bounding: 0n, effective: 0n, inheritable: 0n, permitted: 0n, ambient: 0n });
  });

  test("the rc1 flat list fills bounding, effective and permitted", () => {
    const m = (1n << 29n) | (1n << 5n) | (1n << 10n);
    expect(capabilitySets({ process: { capabilities: ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"] } })).toEqual({
      bounding: m,
      effective: m,
      permitted: m,
      inheritable: 0n,
      ambient: 0n,
    });
  });

  test("all 41 capabilities make a 41-bit mask", () => {
    const all = CAP_NUMBERS.map(([n]) => n);
    expect(capabilitySets({ process: { capabilities: { bounding: all } } }).bounding).toBe((1n << 41n) - 1n);
  });

  test("unknown names are errors with their place", () => {
    expect(planError(() => capabilitySets({ process: { capabilities: { bounding: ["CAP_KILL", "CAP_FLY"] } } })).message).toBe(
      'process.capabilities.bounding[1]: unknown capability "CAP_FLY"',
    );
    expect(planError(() => capabilitySets({ process: { capabilities: { permitted: ["kill"] } } })).field).toBe("process.capabilities.permitted[0]");
    expect(planError(() => capabilitySets({ process: { capabilities: ["CAP_KILL", "toString"] } })).field).toBe("process.capabilities[1]");
  });

  test("effective must be within permitted", () => {
    expect(planError(() => capabilitySets({ process: { capabilities: { effective: ["CAP_KILL", "CAP_CHOWN"], permitted: ["CAP_KILL"] } } })).message).toBe(
      "process.capabilities.effective: CAP_CHOWN not in the permitted set (capset(2) refuses effective ⊄ permitted)",
    );
  });

  test("inheritable must be within bounding", () => {
    expect(planError(() => capabilitySets({ process: { capabilities: { inheritable: ["CAP_NET_RAW"], bounding: [] } } })).field).toBe(
      "process.capabilities.inheritable",
    );
  });

  test("ambient outside permitted ∩ inheritable is dropped with a warning (kernel refuses the raise; runc goes on)", () => {
    const both = { bounding: ["CAP_NET_RAW", "CAP_KILL"], permitted: ["CAP_NET_RAW", "CAP_KILL"], inheritable: ["CAP_NET_RAW"], ambient: ["CAP_NET_RAW", "CAP_KILL"] };
    const warnings: string[] = [];
    expect(capabilitySets({ process: { capabilities: both } }, warnings).ambient).toBe(1n << 13n);
    expect(warnings).toEqual([
      "process.capabilities.ambient: CAP_KILL not in both permitted and inheritable; not raised (PR_CAP_AMBIENT_RAISE would refuse it)",
    ]);
    expect(capabilitySets({ process: { capabilities: { ...both, permitted: ["CAP_KILL"], effective: [] } } }).ambient).toBe(0n);
    const fragment = planProcess({ process: { capabilities: { ...both, ambient: ["CAP_NET_RAW"] } } });
    expect(fragment.warnings).toEqual([]);
  });

  test("runc spec's default (ambient without inheritable) gets no ambient caps, like runc 1.1", () => {
    const three = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"];
    const fragment = planProcess({ process: { capabilities: { bounding: three, effective: three, permitted: three, ambient: three } } });
    const [id] = only([...fragment.processOps], "identity");
    expect(id?.caps).toEqual({ bounding: 0x20000420n, effective: 0x20000420n, permitted: 0x20000420n, inheritable: 0n, ambient: 0n });
    expect(fragment.warnings).toHaveLength(1);
  });
});

describe("rlimits", () => {
  const expected: Record<string, number> = {
    RLIMIT_CPU: 0, RLIMIT_FSIZE: 1, RLIMIT_DATA: 2, RLIMIT_STACK: 3, RLIMIT_CORE: 4, RLIMIT_RSS: 5, RLIMIT_NPROC: 6, RLIMIT_NOFILE: 7,
    RLIMIT_MEMLOCK: 8, RLIMIT_AS: 9, RLIMIT_LOCKS: 10, RLIMIT_SIGPENDING: 11, RLIMIT_MSGQUEUE: 12, RLIMIT_NICE: 13, RLIMIT_RTPRIO: 14, RLIMIT_RTTIME: 15,
  };
  test("the table has all sixteen", () => {
    expect(RLIMITS).toEqual(expected);
  });
  for (const [name, resource] of Object.entries(expected)) {
    test(`${name} → resource ${resource}, name kept for messages`, () => {
      expect(only(opsOf({ process: { rlimits: [{ type: name, soft: 10, hard: 20 }] } }), "rlimit")).toEqual([
        { op: "rlimit", resource, name, soft: 10n, hard: 20n },
      ]);
    });
  }

  test("the seed's RLIMIT_NOFILE 1024/1024", () => {
    expect(only(opsOf({ process: { rlimits: [{ type: "RLIMIT_NOFILE", hard: 1024, soft: 1024 }] } }), "rlimit")).toEqual([
      { op: "rlimit", resource: 7, name: "RLIMIT_NOFILE", soft: 1024n, hard: 1024n },
    ]);
  });

  test("order is kept; several limits", () => {
    const ops = only(opsOf({ process: { rlimits: [{ type: "RLIMIT_CORE", soft: 0, hard: 0 }, { type: "RLIMIT_AS", soft: 1, hard: 2 }] } }), "rlimit");
    expect(ops.map((o) => o.name)).toEqual(["RLIMIT_CORE", "RLIMIT_AS"]);
  });

  test("unlimited: 18446744073709551615 read as a JSON number, or a bigint", () => {
    expect(rlimitValue("f", JSON.parse("18446744073709551615"))).toBe(RLIM_INFINITY);
    expect(rlimitValue("f", 2 ** 64)).toBe(RLIM_INFINITY);
    expect(rlimitValue("f", 0xffff_ffff_ffff_ffffn)).toBe(RLIM_INFINITY);
    expect(rlimitValue("f", Number.MAX_SAFE_INTEGER)).toBe(9007199254740991n);
    expect(rlimitValue("f", 0)).toBe(0n);
  });

  test("values that were rounded, negative, fractional or past 2^64 are errors", () => {
    expect(planError(() => rlimitValue("f", 2 ** 60)).message).toContain("past 2^53");
    expect(planError(() => rlimitValue("f", -1)).message).toContain("non-negative");
    expect(planError(() => rlimitValue("f", 1.5)).message).toContain("non-negative integer");
    expect(planError(() => rlimitValue("f", 2 ** 65)).message).toContain("at most");
    expect(planError(() => rlimitValue("f", 1n << 64n)).message).toContain("must be in");
  });

  test("unknown type, duplicate type, soft above hard", () => {
    expect(planError(() => opsOf({ process: { rlimits: [{ type: "RLIMIT_FOO", soft: 1, hard: 1 }] } })).message).toContain('unknown rlimit "RLIMIT_FOO"');
    expect(planError(() => opsOf({ process: { rlimits: [{ type: "nofile", soft: 1, hard: 1 }] } })).field).toBe("process.rlimits[0].type");
    expect(
      planError(() => opsOf({ process: { rlimits: [{ type: "RLIMIT_NOFILE", soft: 1, hard: 1 }, { type: "RLIMIT_NOFILE", soft: 2, hard: 2 }] } })).message,
    ).toBe("process.rlimits[1].type: rlimit RLIMIT_NOFILE is given twice");
    expect(planError(() => opsOf({ process: { rlimits: [{ type: "RLIMIT_NOFILE", soft: 2048, hard: 1024 }] } })).message).toBe(
      "process.rlimits[0]: RLIMIT_NOFILE: soft limit 2048 exceeds hard limit 1024",
    );
  });
});

describe("identity, umask, no-new-privs, chdir", () => {
  test("uid, gid, additionalGids; defaults 0", () => {
    const [id] = only(opsOf({ process: { user: { uid: 1000, gid: 100, additionalGids: [10, 20] } } }), "identity");
    expect(id).toMatchObject({ uid: 1000, gid: 100, additionalGids: [10, 20] });
    expect(only(opsOf({}), "identity")[0]).toMatchObject({ uid: 0, gid: 0, additionalGids: [] });
  });

  test("bad ids are errors", () => {
    expect(planError(() => opsOf({ process: { user: { uid: -1 } } })).field).toBe("process.user.uid");
    expect(planError(() => opsOf({ process: { user: { gid: 4294967295 } } })).field).toBe("process.user.gid");
    expect(planError(() => opsOf({ process: { user: { additionalGids: [1, 2.5] } } })).field).toBe("process.user.additionalGids[1]");
  });

  test("umask: given, or 0022 like runc; range-checked", () => {
    expect(only(opsOf({ process: { user: { umask: 0o077 } } }), "umask")).toEqual([{ op: "umask", mask: 0o077 }]);
    expect(only(opsOf({}), "umask")).toEqual([{ op: "umask", mask: 0o022 }]);
    expect(only(opsOf({ process: { user: { umask: 0 } } }), "umask")).toEqual([{ op: "umask", mask: 0 }]);
    expect(planError(() => opsOf({ process: { user: { umask: 0o1000 } } })).field).toBe("process.user.umask");
  });

  test("noNewPrivileges true → no-new-privs; false or absent → none", () => {
    expect(only(opsOf({ process: { noNewPrivileges: true } }), "no-new-privs")).toHaveLength(1);
    expect(only(opsOf({ process: { noNewPrivileges: false } }), "no-new-privs")).toHaveLength(0);
    expect(only(opsOf({}), "no-new-privs")).toHaveLength(0);
  });

  test("chdir to the normalized cwd, last; off on request; relative is an error", () => {
    expect(opsOf({ process: { cwd: "/srv//app/" } }).at(-1)).toEqual({ op: "chdir", path: "/srv/app" });
    expect(opsOf({ process: { cwd: "/srv/../" } }).at(-1)).toEqual({ op: "chdir", path: "/" });
    expect(opsOf({}).at(-1)).toEqual({ op: "chdir", path: "/" });
    expect(only(opsOf({ process: { cwd: "/x" } }, { chdir: false }), "chdir")).toEqual([]);
    expect(planError(() => opsOf({ process: { cwd: "x" } })).field).toBe("process.cwd");
  });

  test("HOME: home-from-passwd for the process's uid when env has none, or its last HOME= is empty (runc's getenv == \"\")", () => {
    const home = (env: string[] | undefined, uid?: number) => only(opsOf({ process: { ...(env ? { env } : {}), user: { uid: uid ?? 0, gid: 0 } } }), "home-from-passwd");
    expect(home(["PATH=/bin", "TERM=xterm"], 1000)).toEqual([{ op: "home-from-passwd", uid: 1000, startHooks: [] }]);
    expect(home(undefined)).toEqual([{ op: "home-from-passwd", uid: 0, startHooks: [] }]);
    expect(home([])).toEqual([{ op: "home-from-passwd", uid: 0, startHooks: [] }]);
    expect(home(["HOME="])).toEqual([{ op: "home-from-passwd", uid: 0, startHooks: [] }]);
    expect(home(["HOME=/a", "HOME="])).toEqual([{ op: "home-from-passwd", uid: 0, startHooks: [] }]);
    expect(home(["HOME=/srv"])).toEqual([]);
    expect(home(["HOME=", "PATH=/bin", "HOME=/b"])).toEqual([]);
    // Only the exact name: HOMEDIR and a lowercase home are other variables.
    expect(home(["HOMEDIR=/x", "home=/y"])).toEqual([{ op: "home-from-passwd", uid: 0, startHooks: [] }]);
    expect(lacksHome(["HOME= "])).toBe(false);
    // Before identity (read while still root), after the LSM labels; off on request (oci-caps exec).
    const ops = opsOf({ process: { user: { uid: 7, gid: 7 }, selinuxLabel: "l", noNewPrivileges: true } });
    expect(ops.map((o) => o.op).slice(-5)).toEqual(["no-new-privs", "selinux-label", "home-from-passwd", "identity", "chdir"]);
    expect(only(opsOf({ process: { env: [] } }, { home: false }), "home-from-passwd")).toEqual([]);
  });

  test("emitted order: rlimits, personality, ioprio, scheduler, umask, apparmor, no-new-privs, selinux, home, identity, chdir", () => {
    const ops = opsOf({
      process: {
        rlimits: [{ type: "RLIMIT_NOFILE", soft: 1, hard: 1 }],
        ioPriority: { class: "IOPRIO_CLASS_BE", priority: 4 },
        scheduler: { policy: "SCHED_BATCH" },
        apparmorProfile: "docker-default",
        selinuxLabel: "system_u:system_r:container_t:s0",
        noNewPrivileges: true,
        cwd: "/",
      },
      linux: { personality: { domain: "LINUX" } },
    });
    expect(ops.map((o) => o.op)).toEqual(["rlimit", "personality", "ioprio", "scheduler", "umask", "apparmor", "no-new-privs", "selinux-label", "home-from-passwd", "identity", "chdir"]);
  });
});

describe("personality, ioPriority, scheduler, LSMs", () => {
  test("personality domains and flags", () => {
    expect(only(opsOf({ linux: { personality: { domain: "LINUX" } } }), "personality")).toEqual([{ op: "personality", persona: 0 }]);
    expect(only(opsOf({ linux: { personality: { domain: "LINUX32" } } }), "personality")).toEqual([{ op: "personality", persona: 8 }]);
    expect(only(opsOf({ linux: { personality: { domain: "LINUX32", flags: ["ADDR_NO_RANDOMIZE", "UNAME26"] } } }), "personality")).toEqual([
      { op: "personality", persona: 0x8 | 0x0040000 | 0x0020000 },
    ]);
    expect(planError(() => opsOf({ linux: { personality: { domain: "SVR4" } } })).field).toBe("linux.personality.domain");
    expect(planError(() => opsOf({ linux: { personality: { domain: "LINUX", flags: ["NOPE"] } } })).field).toBe("linux.personality.flags[0]");
  });

  test("ioPriority: class << 13 | level", () => {
    expect(only(opsOf({ process: { ioPriority: { class: "IOPRIO_CLASS_RT", priority: 0 } } }), "ioprio")).toEqual([{ op: "ioprio", ioprio: (1 << 13) | 0 }]);
    expect(only(opsOf({ process: { ioPriority: { class: "IOPRIO_CLASS_BE", priority: 7 } } }), "ioprio")).toEqual([{ op: "ioprio", ioprio: (2 << 13) | 7 }]);
    expect(only(opsOf({ process: { ioPriority: { class: "IOPRIO_CLASS_IDLE" } } }), "ioprio")).toEqual([{ op: "ioprio", ioprio: 3 << 13 }]);
    expect(planError(() => opsOf({ process: { ioPriority: { class: "IOPRIO_CLASS_NONE" } } })).field).toBe("process.ioPriority.class");
    expect(planError(() => opsOf({ process: { ioPriority: { class: "IOPRIO_CLASS_BE", priority: 8 } } })).field).toBe("process.ioPriority.priority");
  });

  const policies: [string, number][] = [["SCHED_OTHER", 0], ["SCHED_FIFO", 1], ["SCHED_RR", 2], ["SCHED_BATCH", 3], ["SCHED_ISO", 4], ["SCHED_IDLE", 5], ["SCHED_DEADLINE", 6]];
  for (const [policy, number] of policies) {
    test(`scheduler ${policy} → ${number}`, () => {
      const rt = policy === "SCHED_FIFO" || policy === "SCHED_RR";
      const dl = policy === "SCHED_DEADLINE";
      const [op] = only(
        opsOf({ process: { scheduler: { policy, ...(rt ? { priority: 50 } : {}), ...(dl ? { runtime: 10_000_000, deadline: 30_000_000, period: 30_000_000 } : {}) } } }),
        "scheduler",
      );
      expect(op).toEqual({
        op: "scheduler",
        policy: number,
        nice: 0,
        priority: rt ? 50 : 0,
        flags: 0n,
        runtime: dl ? 10_000_000n : 0n,
        deadline: dl ? 30_000_000n : 0n,
        period: dl ? 30_000_000n : 0n,
      });
    });
  }

  test("scheduler flags and nice", () => {
    const [op] = only(
      opsOf({ process: { scheduler: { policy: "SCHED_OTHER", nice: -5, flags: ["SCHED_FLAG_RESET_ON_FORK", "SCHED_FLAG_RECLAIM", "SCHED_FLAG_DL_OVERRUN", "SCHED_FLAG_KEEP_POLICY", "SCHED_FLAG_KEEP_PARAMS", "SCHED_FLAG_UTIL_CLAMP_MIN", "SCHED_FLAG_UTIL_CLAMP_MAX"] } } }),
      "scheduler",
    );
    expect(op).toMatchObject({ nice: -5, flags: 0x7fn });
  });

  test("scheduler rules: nice range, priority only for FIFO/RR in 1..99, deadline params only for DEADLINE", () => {
    const s = (scheduler: object) => () => opsOf({ process: { scheduler: scheduler as never } });
    expect(planError(s({ policy: "SCHED_TURBO" })).field).toBe("process.scheduler.policy");
    expect(planError(s({ policy: "SCHED_OTHER", nice: 20 })).field).toBe("process.scheduler.nice");
    expect(planError(s({ policy: "SCHED_OTHER", priority: 1 })).message).toContain("only be specified for SCHED_FIFO or SCHED_RR");
    expect(planError(s({ policy: "SCHED_FIFO" })).message).toContain("1..99");
    expect(planError(s({ policy: "SCHED_RR", priority: 100 })).field).toBe("process.scheduler.priority");
    expect(planError(s({ policy: "SCHED_OTHER", runtime: 5 })).message).toContain("only be specified for SCHED_DEADLINE");
    expect(planError(s({ policy: "SCHED_OTHER", flags: ["SCHED_FLAG_FAST"] })).field).toBe("process.scheduler.flags[0]");
    expect(planError(s({ policy: "SCHED_DEADLINE", runtime: 2000 })).message).toContain("needs a deadline");
    expect(planError(s({ policy: "SCHED_DEADLINE", runtime: 100, deadline: 2000 })).message).toContain("at least 1024");
    expect(planError(s({ policy: "SCHED_DEADLINE", runtime: 3000, deadline: 2000 })).message).toContain("exceeds deadline");
    expect(planError(s({ policy: "SCHED_DEADLINE", runtime: 2000, deadline: 3000, period: 2500 })).message).toContain("exceeds period");
    expect(() => s({ policy: "SCHED_DEADLINE", runtime: 2000, deadline: 3000 })()).not.toThrow();
  });

  test("AppArmor profile and SELinux label, refused when the host lacks the LSM", () => {
    const spec: CapsSpec = { process: { apparmorProfile: "p", selinuxLabel: "l" } };
    expect(only(opsOf(spec), "apparmor")).toEqual([{ op: "apparmor", profile: "p" }]);
    expect(only(opsOf(spec), "selinux-label")).toEqual([{ op: "selinux-label", label: "l" }]);
    expect(planError(() => opsOf(spec, { hostLsm: { apparmor: false, selinux: true } })).message).toBe("process.apparmorProfile: AppArmor is not enabled on this host");
    expect(planError(() => opsOf(spec, { hostLsm: { apparmor: true, selinux: false } })).message).toBe("process.selinuxLabel: SELinux is not enabled on this host");
    expect(only(opsOf({ process: { apparmorProfile: "" } }, { hostLsm: { apparmor: false, selinux: false } }), "apparmor")).toEqual([]);
  });
});
