import { describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { toolCommand } from "../../../test/lib/tools.ts";

function run(args: string[], input = ""): { code: number | null; stdout: string; stderr: string } {
  const [cmd, ...pre] = toolCommand("oci-caps");
  const r = spawnSync(cmd!, [...pre, ...args], { input, encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const config = (process: object) =>
  JSON.stringify({ ociVersion: "1.2.0", root: { path: "rootfs" }, process: { user: { uid: 0, gid: 0 }, args: ["sh"], cwd: "/", ...process } });

describe("oci-caps plan", () => {
  test("the rc1 flat list upgraded: masks in hex with names, rlimit, no-new-privs, in order", () => {
    const r = run(["plan"], config({ capabilities: ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"], rlimits: [{ type: "RLIMIT_NOFILE", hard: 1024, soft: 1024 }], noNewPrivileges: true }).replace('"1.2.0"', '"1.0.0-rc1"'));
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const ops = JSON.parse(r.stdout).processOps as Record<string, any>[];
    // The default env has no HOME: home-from-passwd (runc 1.1 sets it from the container's /etc/passwd).
    expect(ops.map((o) => o.op)).toEqual(["rlimit", "umask", "no-new-privs", "home-from-passwd", "identity", "chdir"]);
    expect(ops[3]).toEqual({ op: "home-from-passwd", uid: 0, startHooks: [] });
    expect(ops[0]).toEqual({ op: "rlimit", resource: 7, name: "RLIMIT_NOFILE", soft: "1024", hard: "1024" });
    expect(ops[1]).toEqual({ op: "umask", mask: "0022" });
    const names = ["CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_AUDIT_WRITE"];
    expect(ops[4]!.caps).toEqual({
      bounding: { mask: "0x0000000020000420", names },
      effective: { mask: "0x0000000020000420", names },
      inheritable: { mask: "0x0000000000000000", names: [] },
      permitted: { mask: "0x0000000020000420", names },
      ambient: { mask: "0x0000000000000000", names: [] },
    });
  });

  test("unlimited rlimits print as unlimited; ambient caps that cannot be raised warn", () => {
    const r = run(["plan"], '{"ociVersion":"1.2.0","root":{"path":"r"},"process":{"user":{"uid":0,"gid":0},"args":["sh"],"cwd":"/","rlimits":[{"type":"RLIMIT_CORE","soft":18446744073709551615,"hard":18446744073709551615}],"capabilities":{"permitted":["CAP_KILL"],"ambient":["CAP_KILL"]}}}');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).processOps[0]).toMatchObject({ soft: "unlimited", hard: "unlimited" });
    expect(r.stderr).toBe(
      "oci-caps: warning: process.capabilities.ambient: CAP_KILL not in both permitted and inheritable; not raised (PR_CAP_AMBIENT_RAISE would refuse it)\n",
    );
  });

  test("a planning error is one line, exit 1", () => {
    const r = run(["plan"], config({ capabilities: { effective: ["CAP_KILL"], permitted: [] } }));
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("oci-caps: process.capabilities.effective: CAP_KILL not in the permitted set (capset(2) refuses effective ⊄ permitted)\n");
  });
});
