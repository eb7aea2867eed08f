/**
 * DESIGN.md safety rules 1–4, each attacked through a real oci-init run.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { closeSync, constants, existsSync, mkdirSync, openSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeRootfs, type TestRootfs } from "../lib/rootfs.ts";
import { MS, runPlan, sh } from "../lib/oci-init.ts";
import { nativePath, runInit } from "../../packages/sys/src/index.ts";

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});
function rootfs(): TestRootfs {
  const fs = makeRootfs();
  cleanups.push(() => fs.cleanup());
  return fs;
}

describe("rule 1: in-rootfs paths never resolve out of the rootfs", () => {
  for (const resolver of ["openat2", "O_NOFOLLOW walk"] as const) {
    const env = resolver === "openat2" ? undefined : { ...process.env, OCI_INIT_NO_OPENAT2: "1" };

    test(`absolute symlink with .. (/tmp -> /etc/../../../host-dir), ${resolver}`, async () => {
      const hostDir = `/octest-host-dir-${process.pid}`;
      expect(existsSync(hostDir)).toBe(false);
      const fs = rootfs();
      rmSync(join(fs.rootfs, "tmp"), { recursive: true });
      symlinkSync(`/etc/../../..${hostDir}`, join(fs.rootfs, "tmp"));
      const r = await runPlan(
        sh(fs.rootfs, `awk '$5 == "${hostDir}" {print $5, $9}' /proc/self/mountinfo; touch /tmp/inside && echo wrote`, {
          preOps: [{ op: "mount", source: "tmpfs", target: "/tmp", fstype: "tmpfs", flags: 0, data: "", create: "dir" }],
        }),
        { env },
      );
      try {
        expect(r.error).toBeUndefined();
        expect(r.stdout).toBe(`${hostDir} tmpfs\nwrote\n`);
        expect(existsSync(join(fs.rootfs, hostDir))).toBe(true); // created inside the rootfs
      } finally {
        const leaked = existsSync(hostDir);
        if (leaked) rmSync(hostDir, { recursive: true });
        expect(leaked).toBe(false);
      }
    });

    test(`relative symlink climbing out (/data -> ../../outside), mkdir and file bind through it, ${resolver}`, async () => {
      const fs = rootfs();
      const outside = join(fs.dir, "outside");
      mkdirSync(outside);
      writeFileSync(join(outside, "marker"), "host");
      rmSync(join(fs.rootfs, "data"), { recursive: true, force: true });
      symlinkSync("../../outside", join(fs.rootfs, "data"));
      symlinkSync("../../outside/file", join(fs.rootfs, "fileln"));
      const r = await runPlan(
        sh(fs.rootfs, "ls -A /outside; cat /fileln; grep -c ' /outside ' /proc/self/mountinfo", {
          preOps: [
            { op: "mount", source: "tmpfs", target: "/data", fstype: "tmpfs", flags: 0, data: "", create: "dir" },
            { op: "mkdir", path: "/data/sub", mode: 0o755 },
            { op: "mount", source: "/etc/hostname", target: "/fileln", fstype: "", flags: MS.BIND, data: "", create: "file" },
          ],
        }),
        { env },
      );
      expect(r.error).toBeUndefined();
      expect(r.stdout).toBe(`file\nsub\n${readFileSync("/etc/hostname", "utf8")}1\n`); // all inside the tmpfs at /outside
      expect(readFileSync(join(outside, "marker"), "utf8")).toBe("host");
      expect(existsSync(join(outside, "sub"))).toBe(false);
      expect(existsSync(join(outside, "file"))).toBe(false);
    });
  }
});

describe("rule 2: no host fd reaches the container; cwd stays inside", () => {
  test("only stdio and the preserved fds are open at exec, renumbered from 3", async () => {
    const fs = rootfs();
    writeFileSync(join(fs.dir, "preserved"), "p");
    writeFileSync(join(fs.dir, "not-preserved"), "n");
    const a = openSync(join(fs.dir, "preserved"), "r");
    const b = openSync(join(fs.dir, "not-preserved"), "r");
    cleanups.push(() => (closeSync(a), closeSync(b)));
    // A grandchild lists the fds of the shell (the exec'd container process) while the
    // shell just waits: no pipe or saved redirection of its own in the way.
    const plan = sh(fs.rootfs, "sh -c 'ls -l /proc/$PPID/fd > /tmp/fds'; sed -n 's/.* \\([0-9]*\\) -> \\(.*\\)/\\1 \\2/p' /tmp/fds; cat <&3");
    const r = await runPlan({ ...plan, process: { ...plan.process, preserveFds: 1 } }, { preserveFds: [a, b] });
    expect(r.error).toBeUndefined();
    const lines = r.stdout.trim().split("\n");
    const fds = lines.filter((l) => /^\d+ /.test(l)).map((l) => l.split(" "));
    expect({ fds: fds.map((f) => f[0]).sort(), stdout: r.stdout }).toEqual({ fds: ["0", "1", "2", "3"], stdout: r.stdout });
    expect(fds.find((f) => f[0] === "3")?.[1]).toBe(join(fs.dir, "preserved"));
    expect(r.stdout).not.toContain("not-preserved");
    expect(lines.at(-1)).toBe("p");
  });

  test("a cwd climbing out with .. or a symlink resolves inside the root", async () => {
    const fs = rootfs();
    symlinkSync("../../../../../../", join(fs.rootfs, "escape"));
    const r1 = await runPlan(sh(fs.rootfs, "pwd; ls /etc/passwd", { ops: [{ op: "chdir", path: "/../../../etc" }] }));
    expect(r1.stdout).toBe("/etc\n/etc/passwd\n");
    const r2 = await runPlan(sh(fs.rootfs, "ls -d bin etc linuxrc", { ops: [{ op: "chdir", path: "/escape" }] }));
    expect(r2.error).toBeUndefined();
    expect(r2.stdout).toBe("bin\netc\nlinuxrc\n"); // the container's root, not the host's
  });
});

describe("chdir", () => {
  test("a missing directory is an error, not created (the init's cwd comes from a mkdir op)", async () => {
    const fs = rootfs();
    const r = await runPlan(sh(fs.rootfs, "pwd", { ops: [{ op: "chdir", path: "/not/there" }] }));
    expect(r.error).toMatchObject({ opName: "chdir", errno: "ENOENT" });
    expect(existsSync(join(fs.rootfs, "not"))).toBe(false);
  });
});

describe("rule 3: the runtime binary cannot be reached through /proc/<pid>/exe", () => {
  test("a waiting init runs from a sealed memfd; opening its exe for writing fails; the file on disk is unchanged", async () => {
    const fs = rootfs();
    const fifo = join(fs.dir, "exec.fifo");
    Bun.spawnSync(["mkfifo", "-m", "0622", fifo]);
    const binary = nativePath("oci-init");
    const before = createHash("sha256").update(readFileSync(binary)).digest("hex");
    const plan = sh(fs.rootfs, "true", { stage0: "exit" });
    const run = await runInit({ ...plan, process: { ...plan.process, execFifo: fifo } }, { stdio: ["ignore", "ignore", "inherit"] });
    try {
      expect(run.ready).toBe(true);
      expect(await run.exited).toBe(0);
      const pid = run.pid!;
      expect(readlinkSync(`/proc/${pid}/exe`)).toMatch(/^\/memfd:oci-init/);
      let err: NodeJS.ErrnoException | undefined;
      try {
        closeSync(openSync(`/proc/${pid}/exe`, constants.O_WRONLY));
      } catch (e) {
        err = e as NodeJS.ErrnoException;
      }
      expect(["ETXTBSY", "EPERM", "EACCES"]).toContain(err?.code ?? "opened");
      expect(createHash("sha256").update(readFileSync(binary)).digest("hex")).toBe(before);
    } finally {
      readFileSync(fifo); // let it exec `true` and go away
    }
  });
});

describe("rule 4: /proc writes and masks go through verified fds", () => {
  test("sysctl refuses a /proc/sys that is not procfs", async () => {
    const fs = rootfs();
    const r = await runPlan(
      sh(fs.rootfs, "true", {
        // Something bound over the sysctl file: the write must not go to it.
        preOps: [{ op: "mount", source: "/dev/null", target: "/proc/sys/kernel/msgmax", fstype: "", flags: MS.BIND, data: "", create: "none" }],
        ops: [{ op: "sysctl", key: "kernel.msgmax", value: "1" }],
      }),
    );
    expect(r.error).toMatchObject({ opName: "sysctl", errno: "EXDEV" });
    expect(r.error?.message).toContain("kernel.msgmax");
  });

  test("oom-score-adj refuses a /proc that is not procfs", async () => {
    const fs = rootfs();
    const r = await runPlan(
      sh(fs.rootfs, "true", {
        bare: true,
        preOps: [
          { op: "mount", source: "tmpfs", target: "/proc", fstype: "tmpfs", flags: 0, data: "", create: "dir" },
          { op: "mkdir", path: "/proc/self", mode: 0o755 },
          { op: "mount", source: "/dev/null", target: "/proc/self/oom_score_adj", fstype: "", flags: MS.BIND, data: "", create: "file" },
        ],
        ops: [{ op: "oom-score-adj", value: 100 }],
      }),
    );
    expect(r.error).toMatchObject({ opName: "oom-score-adj", errno: "EXDEV" });
  });

  test("mask-path refuses a /dev/null that is not the character device 1:3", async () => {
    const fs = rootfs();
    writeFileSync(join(fs.rootfs, "etc", "secret"), "secret");
    const r = await runPlan(
      sh(fs.rootfs, "cat /etc/secret", {
        bare: true,
        preOps: [{ op: "mount", source: "proc", target: "/proc", fstype: "proc", flags: 0, data: "", create: "dir" }],
        ops: [
          { op: "mknod", path: "/dev/null", kind: "c", major: 1, minor: 5, mode: 0o666, uid: 0, gid: 0 },
          { op: "mask-path", path: "/etc/secret" },
        ],
      }),
    );
    expect(r.error).toMatchObject({ opName: "mask-path", errno: "EPERM" });
    expect(r.error?.message).toContain("/etc/secret");
    expect(r.stdout).toBe("");
  });
});
