import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { toolCommand } from "../../../test/lib/tools.ts";

function run(args: string[], input = ""): { code: number | null; stdout: string; stderr: string } {
  const [cmd, ...pre] = toolCommand("oci-mount");
  const r = spawnSync(cmd!, [...pre, ...args], { input, encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

let dir = "";
beforeAll(() => {
  dir = mkdtempSync("/tmp/oci-tools-test-mountcli-");
  mkdirSync(join(dir, "volume"));
  writeFileSync(join(dir, "file"), "x");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function bundle(name: string, mounts: object[], extra: object = {}): string {
  const b = join(dir, name);
  mkdirSync(b, { recursive: true });
  writeFileSync(
    join(b, "config.json"),
    JSON.stringify({
      ociVersion: "1.2.0",
      root: { path: "rootfs", readonly: true },
      process: { user: { uid: 0, gid: 0 }, args: ["sh"], cwd: "/" },
      mounts,
      linux: { namespaces: [{ type: "mount" }] },
      ...extra,
    }),
  );
  return b;
}

describe("oci-mount plan", () => {
  test("prints the ordered ops with phases and flag names; binds are stat-ed", () => {
    const b = bundle("ok", [
      { destination: "/tmp", type: "tmpfs", source: "tmpfs", options: ["nosuid", "strictatime", "mode=755", "size=65536k"] },
      { destination: "/data", type: "bind", source: join(dir, "volume"), options: ["rbind", "ro"] },
      { destination: "/etc/x", type: "bind", source: "../file", options: ["bind"] },
    ]);
    const r = run(["plan", "-b", b, "--no-pivot"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const ops = JSON.parse(r.stdout).ops as Record<string, unknown>[];
    expect(ops.map((o) => `${o.phase} ${o.op}`).slice(0, 5)).toEqual(["rootfs propagate", "rootfs bind-rootfs", "rootfs mount", "rootfs mount", "rootfs mount"]);
    expect(ops[1]).toMatchObject({ path: join(b, "rootfs") });
    expect(ops[2]).toMatchObject({ target: "/tmp", flagNames: ["nosuid", "strictatime"], data: "mode=755,size=65536k" });
    expect(ops[3]).toMatchObject({ target: "/data", create: "dir", flagNames: ["bind", "rec"], remountFlagNames: ["ro", "remount", "bind"] });
    expect(ops[4]).toMatchObject({ source: join(dir, "file"), target: "/etc/x", create: "file" });
    expect(ops.find((o) => o.op === "mknod")).toMatchObject({ path: "/dev/null", mode: "0666" });
    expect(ops.filter((o) => o.phase === "pivot")).toEqual([{ phase: "pivot", op: "chroot" }]);
    expect(ops.at(-1)).toEqual({ phase: "post-pivot", op: "readonly-root" });
  });

  test("a missing bind source is a one-line error", () => {
    const r = run(["plan", "-b", bundle("missing", [{ destination: "/data", source: "/nonexistent/volume", options: ["rbind"] }])]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("oci-mount: mounts: bind source /nonexistent/volume: no such file or directory\n");
  });

  test("policy errors come through with their field", () => {
    const r = run(["plan", "-b", bundle("proc-attr", [{ destination: "/proc/self/attr", source: join(dir, "volume"), options: ["bind"] }])]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('oci-mount: mounts[0].destination: "/proc/self/attr" cannot be mounted because it is inside /proc\n');
    const opt = run(["plan", "-b", bundle("copyup", [{ destination: "/t", type: "tmpfs", source: "tmpfs", options: ["tmpcopyup"] }])]);
    expect(opt.stderr).toContain("mounts[0].options: tmpcopyup");
  });
});
