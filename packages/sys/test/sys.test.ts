import { describe, expect, test } from "bun:test";
import { closeSync, existsSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";

const libBuilt = existsSync(join(import.meta.dir, "../../../native/build/libocisys.so")) || !!process.env.OCI_TOOLS_NATIVE_DIR;

describe("import", () => {
  test("importing @oci-tools/sys loads neither koffi nor the library", async () => {
    const r = Bun.spawnSync([process.execPath, "-e", `import * as sys from "${join(import.meta.dir, "../src/index.ts")}"; console.log(sys.ffiLoaded(), Object.keys(require.cache).some(k => k.includes("koffi")))`]);
    expect(r.stdout.toString().trim()).toBe("false false");
  });
});

describe("nativePath", () => {
  test("prefers $OCI_TOOLS_NATIVE_DIR, then the executable's dir, then native/build", async () => {
    const { nativeCandidates, nativePath } = await import("../src/index.ts");
    const saved = process.env.OCI_TOOLS_NATIVE_DIR;
    const dir = mkdtempSync(join(tmpdir(), "oci-sys-"));
    try {
      process.env.OCI_TOOLS_NATIVE_DIR = dir;
      const c = nativeCandidates("oci-init");
      expect(c[0]).toBe(join(dir, "oci-init"));
      expect(c[1]).toBe(join(process.execPath, "..", "oci-init"));
      expect(c[2]).toMatch(/native\/build\/oci-init$/);
      writeFileSync(join(dir, "oci-init"), "");
      expect(nativePath("oci-init")).toBe(join(dir, "oci-init"));
      delete process.env.OCI_TOOLS_NATIVE_DIR;
      expect(nativeCandidates("oci-init")[0]).toBe(join(process.execPath, "..", "oci-init"));
    } finally {
      if (saved === undefined) delete process.env.OCI_TOOLS_NATIVE_DIR;
      else process.env.OCI_TOOLS_NATIVE_DIR = saved;
      rmSync(dir, { recursive: true });
    }
  });

  test("names every place it looked when the artifact is missing", async () => {
    const { nativePath } = await import("../src/index.ts");
    expect(() => nativePath("no-such-artifact" as never)).toThrow(/no-such-artifact not found \(looked in .*native\/build/);
  });
});

describe("SysError", () => {
  test("carries errno name, syscall and path", async () => {
    const { SysError } = await import("../src/index.ts");
    const e = new SysError("open", 2, "/x");
    expect(e.code).toBe("ENOENT");
    expect(e.syscall).toBe("open");
    expect(e.path).toBe("/x");
    expect(e.message).toBe("open /x: ENOENT");
  });
});

describe.skipIf(!libBuilt)("libocisys through koffi", () => {
  test("sendFd/recvFd pass an fd and a payload over SCM_RIGHTS", async () => {
    const sys = await import("../src/index.ts");
    const dir = mkdtempSync(join(tmpdir(), "oci-sys-"));
    const [a, b] = sys.socketpair();
    try {
      writeFileSync(join(dir, "f"), "through the socket");
      const fd = openSync(join(dir, "f"), "r");
      sys.sendFd(a, fd, "console");
      closeSync(fd);
      const got = sys.recvFd(b);
      expect(new TextDecoder().decode(got.payload)).toBe("console");
      const buf = Buffer.alloc(64);
      const n = readSync(got.fd, buf, 0, 64, 0);
      expect(buf.subarray(0, n).toString()).toBe("through the socket");
      closeSync(got.fd);
      expect(sys.ffiLoaded()).toBe(true);
    } finally {
      sys.closeFd(a);
      sys.closeFd(b);
      rmSync(dir, { recursive: true });
    }
  });

  test("recvFd without an fd in the message is an error, not a leak", async () => {
    const sys = await import("../src/index.ts");
    const [a, b] = sys.socketpair();
    try {
      Bun.write(Bun.file(a), "no fd here");
      await Bun.sleep(20);
      expect(() => sys.recvFd(b)).toThrow(/recvmsg: EBADMSG/);
    } finally {
      sys.closeFd(a);
      sys.closeFd(b);
    }
  });

  test("pidfdOpen, pidfdSendSignal(0); errors are SysErrors with errno names", async () => {
    const sys = await import("../src/index.ts");
    const child = Bun.spawn(["sleep", "5"]);
    try {
      const pidfd = sys.pidfdOpen(child.pid);
      sys.pidfdSendSignal(pidfd, 0);
      sys.pidfdSendSignal(pidfd, 15);
      expect(await child.exited).toBe(143);
      sys.closeFd(pidfd);
    } finally {
      child.kill(9);
    }
    let err: unknown;
    try {
      sys.pidfdOpen(0x3ffffff);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(sys.SysError);
    expect((err as InstanceType<typeof sys.SysError>).code).toBe("ESRCH");
  });

  test("waitpid reports ECHILD for a process that is not our child", async () => {
    const sys = await import("../src/index.ts");
    expect(() => sys.waitpid(1, sys.WNOHANG)).toThrow(/waitpid 1: ECHILD/);
  });

  test("isProcfsFd tells procfs from other filesystems", async () => {
    const sys = await import("../src/index.ts");
    const p = openSync("/proc/self/status", "r");
    const f = openSync(import.meta.path, "r");
    try {
      expect(sys.isProcfsFd(p)).toBe(true);
      expect(sys.isProcfsFd(f)).toBe(false);
    } finally {
      closeSync(p);
      closeSync(f);
    }
  });

  test("prctlSetChildSubreaper toggles without error", async () => {
    const sys = await import("../src/index.ts");
    sys.prctlSetChildSubreaper(true);
    sys.prctlSetChildSubreaper(false);
  });
});

describe.skipIf(!libBuilt)("recvMessage (the console path of runInit)", () => {
  test("returns the bytes and the fd riding on them, waits without blocking the event loop, then EOF", async () => {
    const sys = await import("../src/index.ts");
    const [a, b] = sys.socketpair();
    const file = openSync(import.meta.path, "r");
    try {
      let ticks = 0;
      const timer = setInterval(() => ticks++, 5);
      const pending = sys.recvMessage(a);
      await Bun.sleep(60);
      sys.sendFd(b, file, '{"type":"console","name":"/dev/pts/3"}\n');
      const got = (await pending)!;
      clearInterval(timer);
      expect(ticks).toBeGreaterThan(3); // the wait happened off the JS thread
      expect(new TextDecoder().decode(got.bytes)).toBe('{"type":"console","name":"/dev/pts/3"}\n');
      expect(got.fd).toBeGreaterThan(2);
      const buf = Buffer.alloc(6);
      readSync(got.fd, buf, 0, 6, 0);
      expect(buf.toString()).toBe("import");
      closeSync(got.fd);
      expect(await sys.recvMessage(a, 100, 30)).toBeUndefined(); // a timed wait without data
      sys.closeFd(b);
      const eof = (await sys.recvMessage(a))!;
      expect(eof.bytes.length).toBe(0);
      expect(eof.fd).toBe(-1);
    } finally {
      closeSync(file);
      sys.closeFd(a);
    }
  });
});

describe.skipIf(!libBuilt)("runInit hot path", () => {
  test("a plan without a console op never loads koffi; sync is answered continue without onSync", async () => {
    const plan = {
      version: 1, containerId: "hot", stage0: "wait", cgroupProcs: [], namespaces: { join: [], create: [] },
      ops: [{ op: "sync", point: "createRuntime" }], process: { args: ["/bin/true"], env: [], preserveFds: 0 },
    };
    const script = `import { runInit, ffiLoaded } from "${join(import.meta.dir, "../src/index.ts")}";
      const run = await runInit(${JSON.stringify(plan)}, { stdio: ["ignore", "ignore", "inherit"] });
      console.log(JSON.stringify({ ready: run.ready, code: await run.exited, types: run.messages.map((m) => m.type), ffi: ffiLoaded(), koffi: Object.keys(require.cache).some((k) => k.includes("koffi")) }));`;
    const r = Bun.spawnSync([process.execPath, "-e", script], { stderr: "inherit" });
    expect(JSON.parse(r.stdout.toString())).toEqual({ ready: true, code: 0, types: ["pid", "sync", "ready"], ffi: false, koffi: false });
  });
});
