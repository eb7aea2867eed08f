import { describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { toolCommand } from "../../../test/lib/tools.ts";

function run(args: string[], input = ""): { code: number | null; stdout: string; stderr: string } {
  const [cmd, ...pre] = toolCommand("oci-ns");
  const r = spawnSync(cmd!, [...pre, ...args], { input, encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const config = (linux: object) =>
  JSON.stringify({ ociVersion: "1.2.0", root: { path: "rootfs" }, process: { user: { uid: 0, gid: 0 }, args: ["sh"], cwd: "/" }, linux });

describe("oci-ns plan", () => {
  test("reads stdin, prints the plan with the clone flags", () => {
    const r = run(["plan"], config({ namespaces: [{ type: "pid" }, { type: "network", path: "/var/run/netns/runc" }, { type: "mount" }] }));
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      join: [{ type: "network", path: "/var/run/netns/runc" }],
      create: ["pid", "mount"],
      cloneFlags: "0x20020000",
    });
  });

  test("a planning error is one line, exit 1", () => {
    const r = run(["plan"], config({ namespaces: [{ type: "time", path: "/proc/1/ns/time" }], timeOffsets: { monotonic: { secs: 1 } } }));
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("oci-ns: linux.timeOffsets: time offsets cannot be set when joining the existing time namespace /proc/1/ns/time\n");
  });

  test("an invalid config is exit 1; --bundle with --config is a usage error (exit 2)", () => {
    expect(run(["plan"], "{").code).toBe(1);
    const both = run(["plan", "-b", "/x", "-c", "/y"]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("give --bundle or --config, not both");
  });

  test("exec without a command is a usage error", () => {
    const r = run(["exec", "-b", "/nonexistent"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("give the command to run after --");
  });
});
