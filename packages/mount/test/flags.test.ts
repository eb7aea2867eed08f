import { describe, expect, test } from "bun:test";
import { FLAG_OPTIONS, flagNames, MountOptionError, MS, parseMountOptions, PROPAGATION_OPTIONS, UNSUPPORTED_OPTIONS } from "../src/flags.ts";

// The table from mount(8)/runc, written out independently of src/flags.ts:
// option → [MS_* bit it touches, set (true) or clear (false)].
const EXPECTED: Record<string, [number, boolean]> = {
  ro: [0x1, true],
  rw: [0x1, false],
  nosuid: [0x2, true],
  suid: [0x2, false],
  nodev: [0x4, true],
  dev: [0x4, false],
  noexec: [0x8, true],
  exec: [0x8, false],
  sync: [0x10, true],
  async: [0x10, false],
  remount: [0x20, true],
  mand: [0x40, true],
  nomand: [0x40, false],
  dirsync: [0x80, true],
  nosymfollow: [0x100, true],
  symfollow: [0x100, false],
  noatime: [0x400, true],
  atime: [0x400, false],
  nodiratime: [0x800, true],
  diratime: [0x800, false],
  bind: [0x1000, true],
  rbind: [0x1000 | 0x4000, true],
  silent: [0x8000, true],
  loud: [0x8000, false],
  acl: [0x10000, true],
  noacl: [0x10000, false],
  relatime: [0x200000, true],
  norelatime: [0x200000, false],
  iversion: [0x800000, true],
  noiversion: [0x800000, false],
  strictatime: [0x1000000, true],
  nostrictatime: [0x1000000, false],
  lazytime: [0x2000000, true],
  nolazytime: [0x2000000, false],
};

describe("every flag option", () => {
  test("the table covers exactly the expected options", () => {
    expect(Object.keys(FLAG_OPTIONS).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const [option, [bit, set]] of Object.entries(EXPECTED)) {
    test(`${option} ${set ? "sets" : "clears"} 0x${bit.toString(16)}`, () => {
      const alone = parseMountOptions([option]);
      expect(alone.flags).toBe(set ? bit : 0);
      expect(alone.data).toBe("");
      expect(alone.propagation).toEqual([]);
      // Applied after every bit is set: a clearing option clears only its own bit.
      const all = 0x3fffffff & ~(MS.UNBINDABLE | MS.PRIVATE | MS.SLAVE | MS.SHARED);
      const allOptions = Object.entries(EXPECTED)
        .filter(([, [, s]]) => s)
        .map(([o]) => o);
      const after = parseMountOptions([...allOptions, option]).flags;
      const allSet = parseMountOptions(allOptions).flags;
      expect(after).toBe(set ? allSet : allSet & ~bit);
      expect(allSet & ~all).toBe(0);
    });
  }

  test("later options win", () => {
    expect(parseMountOptions(["ro", "rw"]).flags).toBe(0);
    expect(parseMountOptions(["rw", "ro"]).flags).toBe(MS.RDONLY);
    expect(parseMountOptions(["nosuid", "suid", "nosuid"]).flags).toBe(MS.NOSUID);
    expect(parseMountOptions(["rbind", "bind"]).flags).toBe(MS.BIND | MS.REC);
  });

  test("defaults sets nothing and is not data", () => {
    expect(parseMountOptions(["defaults"])).toEqual({ flags: 0, propagation: [], data: "" });
    expect(parseMountOptions(["defaults", "ro", "size=1m"])).toEqual({ flags: MS.RDONLY, propagation: [], data: "size=1m" });
  });
});

describe("propagation options", () => {
  const expected: Record<string, number> = {
    shared: 0x100000,
    rshared: 0x100000 | 0x4000,
    slave: 0x80000,
    rslave: 0x80000 | 0x4000,
    private: 0x40000,
    rprivate: 0x40000 | 0x4000,
    unbindable: 0x20000,
    runbindable: 0x20000 | 0x4000,
  };
  test("the table covers exactly the eight", () => {
    expect(PROPAGATION_OPTIONS).toEqual(expected);
  });
  for (const [option, flags] of Object.entries(expected)) {
    test(`${option} is propagation 0x${flags.toString(16)}, not a mount flag`, () => {
      expect(parseMountOptions([option])).toEqual({ flags: 0, propagation: [flags], data: "" });
    });
  }
  test("kept in order", () => {
    expect(parseMountOptions(["rprivate", "shared"]).propagation).toEqual([MS.PRIVATE | MS.REC, MS.SHARED]);
  });
});

describe("data options", () => {
  test("the seed's tmpfs: nosuid|strictatime with data mode=755,size=65536k", () => {
    expect(parseMountOptions(["nosuid", "strictatime", "mode=755", "size=65536k"])).toEqual({
      flags: MS.NOSUID | MS.STRICTATIME,
      propagation: [],
      data: "mode=755,size=65536k",
    });
  });
  test("unknown words are filesystem data, in order", () => {
    expect(parseMountOptions(["newinstance", "ptmxmode=0666", "mode=0620", "gid=5", "nosuid", "noexec"])).toEqual({
      flags: MS.NOSUID | MS.NOEXEC,
      propagation: [],
      data: "newinstance,ptmxmode=0666,mode=0620,gid=5",
    });
    expect(parseMountOptions(["lowerdir=/a:/b", "upperdir=/u", "workdir=/w"]).data).toBe("lowerdir=/a:/b,upperdir=/u,workdir=/w");
  });
  test("options are case-sensitive like the kernel's: RO is data", () => {
    expect(parseMountOptions(["RO"])).toEqual({ flags: 0, propagation: [], data: "RO" });
  });
  test("a comma or NUL inside one option is refused", () => {
    expect(() => parseMountOptions(["mode=755,size=1m"])).toThrow(MountOptionError);
    expect(() => parseMountOptions(["size=1m\0ro"])).toThrow(/NUL/);
  });
  test("prototype names are data, not table hits", () => {
    expect(parseMountOptions(["constructor", "toString", "__proto__"]).data).toBe("constructor,toString,__proto__");
  });
});

describe("unsupported options say so", () => {
  test("tmpcopyup", () => {
    expect(() => parseMountOptions(["tmpcopyup"])).toThrow("tmpcopyup (copying the directory's contents into the new tmpfs) is not supported");
  });
  test("idmap, ridmap", () => {
    expect(() => parseMountOptions(["idmap"])).toThrow(/idmapped mounts/);
    expect(() => parseMountOptions(["ridmap"])).toThrow(/idmapped mounts/);
  });
  const recursive = ["rro", "rrw", "rnosuid", "rsuid", "rnodev", "rdev", "rnoexec", "rexec", "rnodiratime", "rdiratime", "rrelatime", "rnorelatime", "rnoatime", "ratime", "rstrictatime", "rnostrictatime", "rnosymfollow", "rsymfollow"];
  for (const o of recursive) {
    test(`recursive ${o}`, () => {
      let err: unknown;
      try {
        parseMountOptions(["bind", o]);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(MountOptionError);
      expect((err as MountOptionError).option).toBe(o);
      expect((err as MountOptionError).reason).toContain(`"${o.slice(1)}"`);
    });
  }
  test("every unsupported option is covered above", () => {
    expect(Object.keys(UNSUPPORTED_OPTIONS).sort()).toEqual([...recursive, "tmpcopyup", "idmap", "ridmap"].sort());
  });
});

describe("flagNames", () => {
  test("names each bit, lowest first, and shows unknown bits in hex", () => {
    expect(flagNames(MS.NOSUID | MS.STRICTATIME)).toEqual(["nosuid", "strictatime"]);
    expect(flagNames(MS.BIND | MS.REC)).toEqual(["bind", "rec"]);
    expect(flagNames(0)).toEqual([]);
    expect(flagNames(MS.RDONLY | 0x40000000)).toEqual(["ro", "0x40000000"]);
  });
});
