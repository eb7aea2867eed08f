import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync, existsSync, rmSync, readdirSync, statSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { isValidId } from "../src/ids.ts";
import { parseSignal } from "../src/signals.ts";
import { formatListJson, formatState, formatTable } from "../src/lifecycle.ts";
import { specState, computeStatus } from "../src/status.ts";
import { acquireLock } from "../src/lock.ts";
import { StateStore, type ContainerRecord } from "../src/state.ts";
import { readProcStat, isSameLiveProcess } from "../src/proc.ts";
import { rfc3339Nano } from "../src/timefmt.ts";

const rec: ContainerRecord = {
  ociVersion: "1.2.0",
  id: "c1",
  pid: 4242,
  pidStartTime: 1,
  phase: "created",
  bundle: "/b",
  rootfs: "/b/rootfs",
  created: "2026-11-27T23:24:12.747074028Z",
  annotations: {},
  ownerUid: 0,
  systemdCgroup: false,
};

describe("ids", () => {
  test.each(["a", "A1", "x_y.z+w-1", "9" + "a".repeat(1023)])("valid #%#", (id) => expect(isValidId(id)).toBe(true));
  test.each(["", "../x", ".x", "-x", "a/b", "a b", "a\nb", "a".repeat(1025)])("invalid #%#", (id) => expect(isValidId(id)).toBe(false));
});

describe("signals", () => {
  test("names with and without SIG, any case, numbers", () => {
    expect(parseSignal("KILL")).toBe(9);
    expect(parseSignal("SIGKILL")).toBe(9);
    expect(parseSignal("sigterm")).toBe(15);
    expect(parseSignal("9")).toBe(9);
    expect(parseSignal("SIGRTMIN+1")).toBe(35);
    expect(() => parseSignal("NOPE")).toThrow(/invalid signal/);
    expect(() => parseSignal("0")).toThrow();
    expect(() => parseSignal("65")).toThrow();
  });
});

describe("output shapes", () => {
  test("state: runc's field order, 2-space indent, no trailing newline", () => {
    const s = formatState(specState(rec, "created", ""));
    expect(s).toBe(
      '{\n  "ociVersion": "1.2.0",\n  "id": "c1",\n  "pid": 4242,\n  "status": "created",\n  "bundle": "/b",\n  "rootfs": "/b/rootfs",\n  "created": "2026-11-27T23:24:12.747074028Z",\n  "owner": ""\n}',
    );
  });
  test("state: annotations before owner; pid 0 when stopped", () => {
    const s = specState({ ...rec, annotations: { a: "b" } }, "stopped", "");
    expect(Object.keys(s)).toEqual(["ociVersion", "id", "pid", "status", "bundle", "rootfs", "created", "annotations", "owner"]);
    expect(s.pid).toBe(0);
  });
  test("list json: compact, null when empty", () => {
    expect(formatListJson([])).toBe("null\n");
    expect(formatListJson([specState(rec, "running", "root")])).toBe(
      '[{"ociVersion":"1.2.0","id":"c1","pid":4242,"status":"running","bundle":"/b","rootfs":"/b/rootfs","created":"2026-11-27T23:24:12.747074028Z","owner":"root"}]\n',
    );
  });
  test("list table: matches runc 1.1.5's tabwriter output", () => {
    expect(formatTable([])).toBe("ID          PID         STATUS      BUNDLE      CREATED     OWNER\n");
    expect(formatTable([{ ...specState(rec, "created", "root"), pid: 8355, id: "t1", bundle: "/tmp/exp" }])).toBe(
      "ID          PID         STATUS      BUNDLE      CREATED                          OWNER\n" +
        "t1          8355        created     /tmp/exp    2026-11-27T23:24:12.747074028Z   root\n",
    );
  });
  test("created timestamps are RFC 3339 UTC with sub-second digits", () => {
    expect(rfc3339Nano()).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/);
  });
});

describe("proc", () => {
  test("our own stat; a recycled pid (other start time) is not the same process", () => {
    const st = readProcStat(process.pid)!;
    expect(st.startTime).toBeGreaterThan(0);
    expect(isSameLiveProcess(process.pid, st.startTime)).toBe(true);
    expect(isSameLiveProcess(process.pid, st.startTime + 1)).toBe(false);
    expect(readProcStat(0x3fffffff)).toBeUndefined();
  });
});

describe("status", () => {
  test("dead init → stopped; creating with no live lock holder → stopped", () => {
    const dir = mkdtempSync(`${tmpdir()}/oci-run-unit-`);
    try {
      expect(computeStatus({ ...rec, pid: 0x3ffffff0 }, dir)).toBe("stopped");
      expect(computeStatus({ ...rec, phase: "creating" }, dir)).toBe("stopped");
      const me = readProcStat(process.pid)!;
      writeFileSync(`${dir}/lock`, `${process.pid} ${me.startTime}\n`);
      expect(computeStatus({ ...rec, phase: "creating" }, dir)).toBe("creating");
      // A live init: created while the fifo exists, running after.
      const live = { ...rec, pid: process.pid, pidStartTime: me.startTime };
      writeFileSync(`${dir}/exec.fifo`, "");
      expect(computeStatus(live, dir)).toBe("created");
      rmSync(`${dir}/exec.fifo`);
      expect(computeStatus(live, dir)).toBe("running");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("lock", () => {
  test("exclusive while held; released; a dead holder's lock is taken over", () => {
    const dir = mkdtempSync(`${tmpdir()}/oci-run-unit-`);
    try {
      const l = acquireLock(`${dir}/lock`, "t");
      expect(() => acquireLock(`${dir}/lock`, "t", 50)).toThrow(/timed out/);
      l.release();
      expect(existsSync(`${dir}/lock`)).toBe(false);
      // A holder that was SIGKILLed: a process that has exited.
      const dead = spawnSync("sh", ["-c", "echo $$"], { encoding: "utf8" });
      writeFileSync(`${dir}/lock`, `${dead.stdout.trim()} 12345\n`);
      const l2 = acquireLock(`${dir}/lock`, "t", 1000);
      l2.release();
      // A holder that died between open and write leaves an empty file.
      writeFileSync(`${dir}/lock`, "");
      const t0 = Date.now();
      acquireLock(`${dir}/lock`, "t", 2000).release();
      expect(Date.now() - t0).toBeGreaterThanOrEqual(150);
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("state store", () => {
  test("dir mode 0700, atomic write, read back, duplicate create refused, bad ids never become paths", () => {
    const root = `${mkdtempSync(`${tmpdir()}/oci-run-unit-`)}/root`;
    try {
      const s = new StateStore(root);
      s.createDir("c1");
      expect(statSync(root).mode & 0o777).toBe(0o700);
      expect(statSync(`${root}/c1`).mode & 0o777).toBe(0o700);
      s.write(rec);
      expect(s.read("c1")).toEqual(rec);
      expect(readdirSync(`${root}/c1`)).toEqual(["state.json"]);
      expect(() => s.createDir("c1")).toThrow(/already exists/);
      expect(() => s.dir("../x")).toThrow(/invalid container ID/);
      expect(s.ids()).toEqual(["c1"]);
      s.remove("c1");
      expect(s.exists("c1")).toBe(false);
    } finally {
      rmSync(root.replace(/\/root$/, ""), { recursive: true, force: true });
    }
  });
});
