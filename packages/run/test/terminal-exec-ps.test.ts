/**
 * The pure pieces of issue 4: where the console op goes in a plan, which
 * terminal/console-socket combinations are refused (runc's rules), the
 * namespace join order of exec, and ps output filtering.
 */
import { describe, expect, test } from "bun:test";
import type { Plan } from "@oci-tools/plan";
import { consoleOp, withConsole } from "../src/console-op.ts";
import { openConsole } from "../src/console-socket.ts";
import { namespaceJoins } from "../src/exec.ts";
import { filterPsOutput, formatPidsJson } from "../src/ps.ts";

const plan = (ops: Plan["ops"]): Plan => ({
  version: 1,
  containerId: "c",
  stage0: "exit",
  cgroupProcs: [],
  namespaces: { join: [], create: ["mount"] },
  ops,
  process: { args: ["sh"], env: [], preserveFds: 0 },
});

describe("console op placement", () => {
  test("right after pivot-root (before read-only remounts and process ops)", () => {
    const p = withConsole(plan([{ op: "bind-rootfs", path: "/r" }, { op: "pivot-root" }, { op: "readonly-root" }, { op: "umask", mask: 18 }]), consoleOp({ height: 24, width: 80 }, true));
    expect(p.ops.map((o) => o.op)).toEqual(["bind-rootfs", "pivot-root", "console", "readonly-root", "umask"]);
    expect(p.ops[2]).toEqual({ op: "console", rows: 24, cols: 80, mountConsole: true });
  });
  test("after chroot with --no-pivot", () => {
    const p = withConsole(plan([{ op: "bind-rootfs", path: "/r" }, { op: "chroot" }]), consoleOp(undefined, true));
    expect(p.ops.map((o) => o.op)).toEqual(["bind-rootfs", "chroot", "console"]);
    expect(p.ops[2]).toEqual({ op: "console", rows: 0, cols: 0, mountConsole: true });
  });
  test("first in an exec plan (no pivot), before identity drops privileges", () => {
    const p = withConsole(plan([{ op: "umask", mask: 18 }, { op: "chdir", path: "/" }]), consoleOp(undefined, false));
    expect(p.ops.map((o) => o.op)).toEqual(["console", "umask", "chdir"]);
  });
});

describe("terminal and console-socket combinations (runc's rules)", () => {
  const req = { verb: "create", id: "c" };
  test("detached terminal without a socket", async () => {
    await expect(openConsole({ ...req, terminal: true, consoleSocket: undefined, detach: true })).rejects.toThrow("cannot allocate tty if oci-run will detach without setting console socket");
  });
  test("a socket without a terminal, or without detaching", async () => {
    await expect(openConsole({ ...req, terminal: false, consoleSocket: "/x.sock", detach: true })).rejects.toThrow("cannot use console socket if oci-run will not detach or allocate tty");
    await expect(openConsole({ ...req, terminal: true, consoleSocket: "/x.sock", detach: false })).rejects.toThrow("cannot use console socket if oci-run will not detach or allocate tty");
  });
  test("no terminal, no socket: nothing to open", async () => {
    expect(await openConsole({ ...req, terminal: false, consoleSocket: undefined, detach: true })).toBeUndefined();
  });
  test("missing socket path", async () => {
    await expect(openConsole({ ...req, terminal: true, consoleSocket: "/nonexistent/oci-test.sock", detach: true })).rejects.toThrow("console socket /nonexistent/oci-test.sock: no such file or directory");
  });
  test("not a socket", async () => {
    await expect(openConsole({ ...req, terminal: true, consoleSocket: "/dev/null", detach: true })).rejects.toThrow("console socket /dev/null: not a socket");
  });
});

describe("exec joins", () => {
  test("every namespace of a process, user first and mount last", () => {
    const joins = namespaceJoins(process.pid);
    expect(joins[0]).toEqual({ type: "user", path: `/proc/${process.pid}/ns/user` });
    expect(joins.at(-1)).toEqual({ type: "mount", path: `/proc/${process.pid}/ns/mnt` });
    expect(joins.map((j) => j.type)).toEqual(expect.arrayContaining(["ipc", "uts", "network", "pid", "cgroup"]));
    expect(new Set(joins.map((j) => j.type)).size).toBe(joins.length);
  });
});

describe("ps output", () => {
  const text = ["UID        PID  PPID  C STIME TTY          TIME CMD", "root         1     0  0 00:00 ?        00:00:01 /sbin/init", "root       100     1  0 00:00 ?        00:00:00 sleep 1000", "root       101   100  0 00:00 ?        00:00:00 sh -c 100", ""].join("\n");
  test("keeps the header and the rows whose PID column matches (not other columns)", () => {
    expect(filterPsOutput(text, [100])).toBe(`${text.split("\n")[0]}\nroot       100     1  0 00:00 ?        00:00:00 sleep 1000\n`);
  });
  test("no PID column is an error", () => {
    expect(() => filterPsOutput("COMMAND\nsleep\n", [1])).toThrow("couldn't find PID field in ps output");
  });
  test("json: pids, or null like runc", () => {
    expect(formatPidsJson([3, 4])).toBe("[3,4]\n");
    expect(formatPidsJson([])).toBe("null\n");
  });
});
