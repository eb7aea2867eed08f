/**
 * The home-from-passwd op, run by the real native/oci-init on a busybox
 * rootfs: HOME from the container's /etc/passwd as runc 1.1's setupUser sets
 * it (entry → its home, no entry or no file → "/"), the passwd file resolved
 * inside the root (a symlink never leads out), parsed in bounds. Root only.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { makeRootfs, type TestRootfs } from "../lib/rootfs.ts";
import { basePlan, runPlan } from "../lib/oci-init.ts";
import { repoRoot } from "../lib/tools.ts";
import type { Op } from "../../packages/plan/src/index.ts";

let fs: TestRootfs;
beforeAll(() => (fs = makeRootfs()));
afterAll(() => fs.cleanup());

const PATH = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
const passwdPath = () => join(fs.rootfs, "etc", "passwd");

/** Replaces the rootfs's /etc/passwd with text, a symlink, a directory, … (or removes it: undefined). */
function setPasswd(content: string | Uint8Array | undefined): void {
  rmSync(passwdPath(), { recursive: true, force: true });
  if (content !== undefined) writeFileSync(passwdPath(), content);
}

/** oci-init's own environment and binary (the resolver switch, the ASan build). */
interface InitOptions {
  readonly env?: Record<string, string>;
  readonly initPath?: string;
}

/** The process's environment (its own /proc/self/environ, so nothing a shell adds). */
async function environ(ops: Op[], env: string[] = [PATH], o: InitOptions = {}): Promise<string[]> {
  const r = await runPlan(basePlan(fs.rootfs, { args: ["cat", "/proc/self/environ"], ops, env }), {
    ...(o.env ? { env: { ...process.env, ...o.env } } : {}),
    ...(o.initPath ? { initPath: o.initPath } : {}),
  });
  if (r.code !== 0 || r.error) throw new Error(`exit ${r.code}: ${r.stderr} ${JSON.stringify(r.error)}`);
  return r.stdout.split("\0").filter(Boolean);
}

async function home(uid: number, o: InitOptions = {}): Promise<string | undefined> {
  const homes = (await environ([{ op: "home-from-passwd", uid, startHooks: [] }], [PATH], o)).filter((e) => e.startsWith("HOME="));
  expect(homes.length).toBeLessThanOrEqual(1);
  return homes[0]?.slice(5);
}

const BUSYBOX_PASSWD = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n";

describe("home-from-passwd", () => {
  test("the entry's home; no entry for the uid → /; appended after the given env", async () => {
    setPasswd(BUSYBOX_PASSWD);
    expect(await environ([{ op: "home-from-passwd", uid: 0, startHooks: [] }])).toEqual([PATH, "HOME=/root"]);
    expect(await home(65534)).toBe("/nonexistent");
    expect(await home(1000)).toBe("/");
  });

  test("no /etc/passwd at all, or one that is a fifo or a device → /", async () => {
    setPasswd(undefined);
    expect(await home(0)).toBe("/");
    execFileSync("mkfifo", [passwdPath()]); // opened non-blocking: no wait for a writer
    expect(await home(0)).toBe("/");
    setPasswd(undefined);
    symlinkSync("/dev/zero", passwdPath()); // the container's own /dev/zero (basePlan's /dev)
    expect(await home(0)).toBe("/");
  });

  for (const resolver of ["openat2", "O_NOFOLLOW walk"] as const) {
    const env: InitOptions = resolver === "openat2" ? {} : { env: { OCI_INIT_NO_OPENAT2: "1" } };
    test(`a symlinked /etc/passwd is resolved inside the root, never out of it (${resolver})`, async () => {
      // A host file with an entry for uid 0, at a path the rootfs does not have.
      const outside = join(fs.dir, "outside-passwd");
      writeFileSync(outside, "root:x:0:0::/escaped:/bin/sh\n");
      try {
        setPasswd(undefined);
        symlinkSync(outside, passwdPath()); // absolute: taken from the container's root
        expect(await home(0, env)).toBe("/");
        setPasswd(undefined);
        symlinkSync(`../../../../../../../..${outside}`, passwdPath()); // dot-dot climbing stops at the root
        expect(await home(0, env)).toBe("/");
        // The same links do work when the target exists inside the root.
        mkdirSync(join(fs.rootfs, fs.dir), { recursive: true });
        writeFileSync(join(fs.rootfs, outside), "root:x:0:0::/inside:/bin/sh\n");
        expect(await home(0, env)).toBe("/inside");
      } finally {
        rmSync(join(fs.rootfs, fs.dir), { recursive: true, force: true });
        rmSync(outside, { force: true });
        setPasswd(BUSYBOX_PASSWD);
      }
    });
  }

  test("HOME= entries: the first takes the value in place, later ones go", async () => {
    setPasswd(BUSYBOX_PASSWD);
    expect(await environ([{ op: "home-from-passwd", uid: 0, startHooks: [] }], ["A=1", "HOME=", PATH, "HOME="])).toEqual(["A=1", "HOME=/root", PATH]);
    // Without the op (the planner saw a HOME) the env is passed as given.
    expect(await environ([], ["HOME=/given", PATH])).toEqual(["HOME=/given", PATH]);
  });

  test("parsing: first match wins, comments and blank lines skipped, whitespace trimmed, Atoi-style uids, short lines", async () => {
    setPasswd(
      [
        "# a comment with :x:0:0::/comment: fields",
        "",
        "   ",
        "junk-without-colons",
        "bad:x:zero:0::/nonnumeric:/bin/sh",
        "  alice:x:+00100:100::/home/alice:/bin/sh  \r",
        "alice2:x:100:100::/home/second:/bin/sh",
        "short:x:200:200:gecos",
        "five:x:300:300:gecos:",
        "colons:x:400:400::/a:b:c:extra",
        "neg:x:-1:0::/neg:/bin/sh",
        "big:x:99999999999999999999:0::/big:/bin/sh",
        "root:x:0:0:root:/root:/bin/sh",
      ].join("\n"),
    );
    expect(await home(100)).toBe("/home/alice");
    expect(await home(200)).toBe(""); // runc: the entry matched, its home field is empty
    expect(await home(300)).toBe("");
    expect(await home(400)).toBe("/a");
    expect(await home(0)).toBe("/root"); // the comment and the non-numeric uid do not count as uid 0
    expect(await home(4294967295 - 1)).toBe("/");
  });

  test("an entry past the first 64 KiB read (lines straddling the buffer) is found", async () => {
    const filler = Array.from({ length: 3000 }, (_, i) => `user${i}:x:${10000 + i}:100:gecos of a user:/home/user${i}:/bin/sh`).join("\n");
    setPasswd(`${filler}\nlate:x:4242:4242::/home/late:/bin/sh\n`);
    expect(await home(4242)).toBe("/home/late");
    expect(await home(10000 + 2999)).toBe("/home/user2999");
    expect(await home(10000 + 1234)).toBe("/home/user1234");
    expect(await home(7)).toBe("/");
    setPasswd(BUSYBOX_PASSWD);
  });

  test("start hooks the op names get the same HOME; the others keep their env", async () => {
    setPasswd(BUSYBOX_PASSWD);
    const hook = (index: number, env: string[]) =>
      ({ op: "hook", name: "startContainer", index, path: "/bin/busybox", args: ["cp", "/proc/self/environ", `/tmp/hook-${index}`], env, timeout: 5 }) as const;
    const plan = basePlan(fs.rootfs, { args: ["true"], ops: [{ op: "home-from-passwd", uid: 65534, startHooks: [0] }], env: ["HOME=", PATH] });
    const r = await runPlan({ ...plan, process: { ...plan.process, startHooks: [hook(0, ["HOME=", PATH]), hook(1, ["X=1"])] } });
    expect(r.error).toBeUndefined();
    const read = (i: number) => readFileSync(join(fs.rootfs, "tmp", `hook-${i}`), "utf8").split("\0").filter(Boolean);
    expect(read(0)).toEqual(["HOME=/nonexistent", PATH]);
    expect(read(1)).toEqual(["X=1"]);
  });

  test("read before identity: a 0600 /etc/passwd gives a non-root user its home", async () => {
    setPasswd("root:x:0:0::/root:/bin/sh\nuser:x:1000:1000::/home/user:/bin/sh\n");
    chmodSync(passwdPath(), 0o600);
    const ops: Op[] = [
      { op: "home-from-passwd", uid: 1000, startHooks: [] },
      { op: "identity", uid: 1000, gid: 1000, additionalGids: [], caps: { bounding: 0n, effective: 0n, permitted: 0n, inheritable: 0n, ambient: 0n } },
    ];
    expect(await environ(ops)).toEqual([PATH, "HOME=/home/user"]);
    setPasswd(BUSYBOX_PASSWD);
  });

  test("bounded: a long line after the entry is never read; one before it, a directory, a NUL in the home fail the op", async () => {
    const long = `${"x".repeat(70000)}:x:5:5::/long:/bin/sh\n`;
    setPasswd(`root:x:0:0::/root:/bin/sh\n${long}`);
    expect(await home(0)).toBe("/root");
    const fails = async (): Promise<{ op: number; opName: string; errno: string; message: string }> => {
      const r = await runPlan(basePlan(fs.rootfs, { args: ["true"], ops: [{ op: "home-from-passwd", uid: 0, startHooks: [] }], env: [PATH] }));
      expect(r.code).not.toBe(0);
      return r.error!;
    };
    setPasswd(`${long}root:x:0:0::/root:/bin/sh\n`);
    expect(await fails()).toMatchObject({ opName: "home-from-passwd", errno: "E2BIG", message: "unable to find user 0: /etc/passwd line 1 is longer than 65536 bytes" });
    setPasswd(undefined);
    mkdirSync(passwdPath());
    // runc 1.1: "unable to find user 0: read /etc/passwd: is a directory"
    expect(await fails()).toMatchObject({ errno: "EISDIR", message: "unable to find user 0: read /etc/passwd: is a directory" });
    setPasswd(new TextEncoder().encode("root:x:0:0::/ro\0ot:/bin/sh\n"));
    expect(await fails()).toMatchObject({ errno: "EINVAL", message: expect.stringContaining("NUL") });
    const err = await fails();
    expect(err.op).toBeGreaterThan(0); // the op's index in the plan
    setPasswd(BUSYBOX_PASSWD);
  });

  test("clean under AddressSanitizer + UBSan: matches, misses, buffer-straddling lines, failures", async () => {
    const built = Bun.spawnSync(["make", "-s", "-C", join(repoRoot, "native"), "asan"], { stdout: "pipe", stderr: "pipe" });
    if (built.exitCode !== 0) return console.warn(`skipped: make -C native asan failed: ${built.stderr.toString()}`);
    const asan: InitOptions = { initPath: join(repoRoot, "native", "build", "oci-init-asan"), env: { ASAN_OPTIONS: "abort_on_error=1:detect_leaks=0", UBSAN_OPTIONS: "halt_on_error=1:print_stacktrace=1" } };
    const filler = Array.from({ length: 3000 }, (_, i) => `u${i}:x:${10000 + i}:1::/h${i}`).join("\r\n");
    setPasswd(`# c\n${filler}\nlate:x:+4242:1::/late`); // no final newline
    expect(await home(4242, asan)).toBe("/late");
    expect(await home(7, asan)).toBe("/");
    setPasswd(`${"y".repeat(65536)}\nroot:x:0:0::/root`);
    const r = await runPlan(basePlan(fs.rootfs, { args: ["true"], ops: [{ op: "home-from-passwd", uid: 0, startHooks: [] }], env: ["HOME=", PATH, "HOME="] }), { initPath: asan.initPath!, env: { ...process.env, ...asan.env } });
    expect(r.stderr).not.toMatch(/AddressSanitizer|runtime error/);
    expect(r.error?.errno).toBe("E2BIG");
    setPasswd(BUSYBOX_PASSWD);
    expect(await environ([{ op: "home-from-passwd", uid: 0, startHooks: [] }], ["HOME=", PATH, "HOME=", "X=1"], asan)).toEqual(["HOME=/root", PATH, "X=1"]);
  }, 120_000);
});
