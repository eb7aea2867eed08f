/**
 * `oci-ns exec`, `oci-mount exec` and `oci-caps exec`: each applies only its
 * own piece of a bundle through oci-init, then runs the command (like
 * unshare(1) and setpriv(1)); they chain. Needs root.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeBundle, scratchDir } from "../lib/bundle.ts";
import { removeScratch } from "../lib/rootfs.ts";
import { toolCommand } from "../lib/tools.ts";

const root = process.getuid?.() === 0;

function run(argv: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: "utf8", timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const tool = (name: string, ...args: string[]) => [...toolCommand(name), ...args];

describe.skipIf(!root)("planner tools exec", () => {
  let dir = "";
  let bundle = "";
  let volume = "";
  beforeAll(async () => {
    dir = scratchDir();
    volume = join(dir, "volume");
    mkdirSync(volume);
    bundle = await makeBundle(dir, "b", {
      edit: (c) => {
        c.root.readonly = true;
        c.hostname = "exec-test";
        c.mounts.push(
          { destination: "/tmp", type: "tmpfs", source: "tmpfs", options: ["nosuid", "strictatime", "mode=755", "size=65536k"] },
          { destination: "/data", type: "bind", source: volume, options: ["rbind", "rw"] },
        );
        c.process.user = { uid: 1000, gid: 1000, additionalGids: [10] };
        c.process.rlimits = [{ type: "RLIMIT_NOFILE", hard: 1024, soft: 512 }];
        c.process.noNewPrivileges = true;
        const caps = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"];
        c.process.capabilities = { bounding: caps, effective: caps, permitted: caps };
        c.linux.namespaces = [{ type: "pid" }, { type: "uts" }, { type: "ipc" }, { type: "network" }, { type: "mount" }];
      },
    });
    chmodSync(join(bundle, "rootfs"), 0o755);
  });
  afterAll(() => removeScratch(dir));

  test("oci-ns exec: new pid, uts, ipc, net namespaces (host's /proc, host's files), exit status passed on", () => {
    const r = run(tool("oci-ns", "exec", "-b", bundle, "--", "sh", "-c", "echo $$; readlink /proc/self/ns/uts /proc/self/ns/net; exit 7"));
    expect(r.stderr).toBe("");
    const [pid, uts, net] = r.stdout.trim().split("\n");
    expect(pid).toBe("1");
    expect(uts).not.toBe(readlinkSync("/proc/self/ns/uts"));
    expect(net).not.toBe(readlinkSync("/proc/self/ns/net"));
    expect(r.code).toBe(7);
  });

  test("oci-ns exec: a user namespace gets its id maps, a time namespace its offsets", () => {
    const b = join(dir, "userns");
    mkdirSync(b);
    writeFileSync(
      join(b, "config.json"),
      JSON.stringify({
        ociVersion: "1.2.0",
        root: { path: "rootfs" },
        process: { user: { uid: 0, gid: 0 }, args: ["sh"], cwd: "/" },
        linux: {
          namespaces: [{ type: "user" }, { type: "pid" }, { type: "time" }],
          uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
          gidMappings: [{ containerID: 0, hostID: 200000, size: 1000 }],
          timeOffsets: { monotonic: { secs: 86400 }, boottime: { secs: 3600, nanosecs: 5 } },
        },
      }),
    );
    const r = run(tool("oci-ns", "exec", "-b", b, "--", "sh", "-c", "cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups /proc/self/timens_offsets"));
    expect(r.stderr).toBe("");
    expect(r.stdout.split("\n").map((l) => l.trim().split(/\s+/).join(" "))).toEqual([
      "0 100000 65536",
      "0 200000 1000",
      "allow",
      "monotonic 86400 0",
      "boottime 3600 5",
      "",
    ]);
    expect(r.code).toBe(0);
  });

  test("oci-mount exec: the rootfs set up (read-only root, tmpfs /tmp, /data bind reaching the host, devices); hostname untouched", () => {
    const r = run(
      tool("oci-mount", "exec", "-b", bundle, "--", "sh", "-c", "touch /x 2>&1; grep -E ' /(tmp|data) ' /proc/self/mountinfo | cut -d' ' -f5,6,9; echo hi > /data/out; ls /dev/null /dev/zero; cat /proc/timer_list | wc -c"),
    );
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain("Read-only file system");
    expect(r.stdout).toContain("/tmp rw,nosuid tmpfs\n");
    expect(r.stdout).toMatch(/\/data rw,relatime \S+\n/);
    expect(r.stdout).toContain("/dev/null\n/dev/zero\n0\n"); // /proc/timer_list masked (/dev/null bound over it)
    expect(readFileSync(join(volume, "out"), "utf8")).toBe("hi\n");
    expect(r.code).toBe(0);
  });

  test("oci-caps exec: user, groups, capabilities, no_new_privs and rlimit applied, like setpriv", () => {
    const r = run(tool("oci-caps", "exec", "-b", bundle, "--", "sh", "-c", "id -u; id -G; grep -E '^(CapPrm|CapEff|CapBnd|NoNewPrivs)' /proc/self/status; ulimit -n; ulimit -Hn"));
    expect(r.stderr).toBe("");
    // uid 1000 without ambient capabilities: execve leaves permitted and effective empty (capabilities(7)); the bounding set stays.
    expect(r.stdout.split("\n").map((l) => l.replace(/\s+/g, " "))).toEqual(["1000", "1000 10", "CapPrm: 0000000000000000", "CapEff: 0000000000000000", "CapBnd: 0000000020000420", "NoNewPrivs: 1", "512", "1024", ""]);
    expect(r.code).toBe(0);
  });

  test("they chain: oci-ns exec … -- oci-caps exec … -- CMD", () => {
    const r = run([
      ...tool("oci-ns", "exec", "-b", bundle, "--"),
      ...tool("oci-caps", "exec", "-b", bundle, "--"),
      "sh",
      "-c",
      "readlink /proc/self/ns/pid; id -u",
    ]);
    expect(r.stderr).toBe("");
    const [pidns, uid] = r.stdout.trim().split("\n");
    expect(pidns).toMatch(/^pid:\[\d+\]$/);
    expect(pidns).not.toBe(readlinkSync("/proc/self/ns/pid"));
    expect(uid).toBe("1000");
    expect(r.code).toBe(0);
  });

  test("a failing op is one line naming the op, exit 1", () => {
    const bad = join(dir, "bad");
    mkdirSync(bad);
    writeFileSync(
      join(bad, "config.json"),
      JSON.stringify({
        ociVersion: "1.2.0",
        root: { path: "missing-rootfs" },
        process: { user: { uid: 0, gid: 0 }, args: ["sh"], cwd: "/" },
        linux: { namespaces: [{ type: "mount" }] },
      }),
    );
    const r = run(tool("oci-mount", "exec", "-b", bad, "--", "true"));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^oci-mount: op 1 \(bind-rootfs\): ENOENT: .*missing-rootfs.*\n$/);
  });
});
