/**
 * Bad input: a clear one-line error, exit 1, and nothing left behind — no
 * state directory, cgroup, process or mount (safety rule 6).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, rmSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { TestEnv, type Result } from "../lib/container.ts";

let env: TestEnv;

beforeAll(() => {
  env = new TestEnv();
});

afterAll(() => {
  env.finish();
});

function cgroupsNamed(id: string): string[] {
  return spawnSync("find", ["/sys/fs/cgroup", "-type", "d", "-name", id], { encoding: "utf8" }).stdout.split("\n").filter(Boolean);
}

/** Exit 1, one "oci-run: …" line containing `substring`, and no trace of `id`. */
function expectCleanFailure(r: Result, id: string, substring: string | RegExp) {
  expect(r.stdout).toBe("");
  const lines = r.stderr.trimEnd().split("\n");
  expect(lines).toHaveLength(1);
  expect(lines[0]!.startsWith("oci-run: ")).toBe(true);
  if (typeof substring === "string") expect(lines[0]).toContain(substring);
  else expect(lines[0]).toMatch(substring);
  expect(r.code).toBe(1);
  expect(existsSync(`${env.root}/${id}`)).toBe(false);
  expect(cgroupsNamed(id)).toEqual([]);
  const stray = spawnSync("pgrep", ["-f", id], { encoding: "utf8" }).stdout.trim();
  expect(stray).toBe("");
}

describe("bad input fails clearly and leaves nothing", () => {
  test("missing rootfs", async () => {
    const b = await env.bundle("norootfs", { noRootfs: true });
    const id = env.id("norootfs");
    expectCleanFailure(env.ociRun("create", "-b", b, id), id, /rootfs .*: no such file or directory/);
  });

  test("a config that fails validation", async () => {
    const b = await env.bundle("invalid", { edit: (c) => (c.process.args = "not-an-array") });
    const id = env.id("invalid");
    expectCleanFailure(env.ociRun("create", "-b", b, id), id, "invalid config");
    const v2 = await env.bundle("v2", { edit: (c) => (c.ociVersion = "2.0.0") });
    expectCleanFailure(env.ociRun("create", "-b", v2, id), id, "2.0.0");
    const notJson = await env.bundle("notjson", { rawConfig: "{ nope" });
    expectCleanFailure(env.ociRun("create", "-b", notJson, id), id, "config.json");
  });

  test("any 1.x ociVersion is accepted (the conformance suite writes 1.3.0)", async () => {
    const b = await env.bundle("v13", { edit: (c) => ((c.ociVersion = "1.3.0"), (c.process.args = ["true"])) });
    const r = env.ociRun("run", "-b", b, env.id("v13"));
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
  });

  test("an AppArmor profile or SELinux label on a host without that LSM: a clear error (this host has neither)", async () => {
    const lsms = existsSync("/sys/kernel/security/lsm") ? require("node:fs").readFileSync("/sys/kernel/security/lsm", "utf8") : "";
    for (const [field, value, lsm, name] of [
      ["apparmorProfile", "docker-default", "apparmor", "AppArmor"],
      ["selinuxLabel", "system_u:system_r:container_t:s0", "selinux", "SELinux"],
    ] as const) {
      if (lsms.split(",").includes(lsm)) {
        console.log(`skipped: ${name} is enabled on this host`);
        continue;
      }
      const b = await env.bundle(`lsm-${lsm}`, { edit: (c) => ((c.process[field] = value), (c.process.args = ["true"])) });
      const id = env.id(`lsm-${lsm}`);
      expectCleanFailure(env.ociRun("run", "-b", b, id), id, `process.${field}: ${name} is not enabled on this host`);
    }
  });

  test("a missing bundle", () => {
    const id = env.id("nobundle");
    expectCleanFailure(env.ociRun("create", "-b", `${env.dir}/does-not-exist`, id), id, "no such file or directory");
  });

  test("unknown id for every command", () => {
    const id = env.id("unknown");
    for (const cmd of [["state"], ["start"], ["kill"], ["delete"], ["stop"]]) {
      expectCleanFailure(env.ociRun(...cmd, id), id, "does not exist");
    }
  });

  test("invalid id ../x", async () => {
    const b = await env.bundle("badid");
    for (const cmd of [["create", "-b", b], ["state"], ["start"], ["kill"], ["delete"], ["delete", "--force"]]) {
      const r = env.ociRun(...cmd, "../x");
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("invalid container ID");
    }
    expect(existsSync(`${env.dir}/x`)).toBe(false);
    expect(cgroupsNamed("x")).toEqual([]);
  });

  test("a second create with the same id fails and leaves the first alone", async () => {
    const b = await env.bundle("dup", { edit: (c) => (c.process.args = ["sleep", "30"]) });
    const id = env.id("dup");
    expect(env.ociRun("create", "-b", b, id).code).toBe(0);
    const first = JSON.parse(env.ociRun("state", id).stdout) as { pid: number; status: string };
    const r = env.ociRun("create", "-b", b, id);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("already exists");
    const after = JSON.parse(env.ociRun("state", id).stdout) as { pid: number; status: string };
    expect(after).toEqual(first);
    expect(after.status).toBe("created");
    expect(env.ociRun("delete", "--force", id).code).toBe(0);
    expect(cgroupsNamed(id)).toEqual([]);
  });

  test("a bind mount whose source does not exist", async () => {
    const b = await env.bundle("nosrc", {
      edit: (c) => c.mounts.push({ destination: "/data", type: "bind", source: `${env.dir}/no-such-source`, options: ["rbind", "rw"] }),
    });
    const id = env.id("nosrc");
    expectCleanFailure(env.ociRun("create", "-b", b, id), id, /no-such-source.*(no such file or directory|ENOENT)/i);
  });

  test("args that are not in the rootfs", async () => {
    const b = await env.bundle("noexe", { edit: (c) => (c.process.args = ["/bin/definitely-not-here"]) });
    const id = env.id("noexe");
    expectCleanFailure(env.ociRun("create", "-b", b, id), id, /no such file or directory|executable file not found/);
    const p = await env.bundle("nopath", { edit: (c) => (c.process.args = ["not-a-command"]) });
    expectCleanFailure(env.ociRun("run", "-b", p, id), id, "executable file not found");
  });

  test("terminal: true without --console-socket on create fails like runc (nothing to give the pty to)", async () => {
    const b = await env.bundle("tty", { edit: (c) => (c.process.terminal = true) });
    const id = env.id("tty");
    expectCleanFailure(env.ociRun("create", "-b", b, id), id, "cannot allocate tty if oci-run will detach without setting console socket");
  });

  test("the state root holds nothing after all of the above", () => {
    const left = existsSync(env.root) ? readdirSync(env.root) : [];
    expect(left).toEqual([]);
    if (existsSync(env.root)) rmSync(env.root, { recursive: true });
  });
});
