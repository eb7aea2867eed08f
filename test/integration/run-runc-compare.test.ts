/**
 * Side by side with runc 1.1 (skipped where runc is not installed): the same
 * bundle gives the same capabilities, mounts (mountinfo options), hostname,
 * uid/gid, rlimits, exit codes and state JSON shape.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { TestEnv } from "../lib/container.ts";

const hasRunc = spawnSync("runc", ["--version"]).status === 0;
let env: TestEnv;

beforeAll(() => {
  env = new TestEnv();
});

afterAll(() => {
  env.finish();
});

/** mountinfo without mount ids, anonymous device numbers and the container's id. */
function normalizeMountinfo(text: string, id: string): string[] {
  return text
    .split("\n")
    .filter(Boolean)
    .map((l) => l.split(" ").slice(2).join(" ").replace(/^0:\d+ /, "0:N ").replaceAll(id, "<id>"));
}

const PROBE = [
  "echo '## caps'; grep -E '^Cap|^NoNewPrivs' /proc/self/status",
  "echo '## host'; hostname",
  "echo '## ids'; id",
  "echo '## limits'; cat /proc/self/limits",
  "echo '## umask'; umask",
  "echo '## cwd'; pwd",
  "echo '## env'; env | sort",
  "echo '## mounts'; cat /proc/self/mountinfo",
].join("; ");

function sections(out: string, id: string): Record<string, string[]> {
  const res: Record<string, string[]> = {};
  let cur = "";
  for (const l of out.split("\n")) {
    if (l.startsWith("## ")) res[(cur = l.slice(3))] = [];
    else if (cur && l) res[cur]!.push(l);
  }
  res.mounts = normalizeMountinfo((res.mounts ?? []).join("\n"), id);
  return res;
}

async function seedLikeBundle(name: string, args: string[]): Promise<string> {
  const data = `${env.dir}/${name}-data`;
  mkdirSync(data, { recursive: true });
  return env.bundle(name, {
    edit: (c) => {
      const caps = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"];
      c.process.args = args;
      c.process.capabilities = { bounding: caps, effective: caps, permitted: caps, inheritable: caps, ambient: caps };
      c.process.rlimits = [{ type: "RLIMIT_NOFILE", hard: 1024, soft: 1024 }];
      c.process.noNewPrivileges = true;
      c.process.user = { uid: 1000, gid: 1000, additionalGids: [5, 100] };
      c.process.cwd = "/tmp";
      c.root.readonly = true;
      c.hostname = "compare";
      c.mounts.push(
        { destination: "/tmp", type: "tmpfs", source: "tmpfs", options: ["nosuid", "strictatime", "mode=755", "size=65536k"] },
        { destination: "/data", type: "bind", source: data, options: ["rbind", "rw"] },
        { destination: "/ro", type: "bind", source: data, options: ["bind", "ro", "nodev", "noexec"] },
      );
    },
  });
}

describe.skipIf(!hasRunc)("same bundle, runc vs oci-run", () => {
  for (const [name, edit] of [
    ["default config", (_: string[]) => env.bundle("default", { edit: (c) => (c.process.args = _) })],
    ["seed-like config", (a: string[]) => seedLikeBundle("seedlike", a)],
  ] as const) {
    test(`${name}: what the container sees`, async () => {
      const bundle = await edit(["sh", "-c", PROBE]);
      const ours = env.ociRun("run", "-b", bundle, "cmp-ours");
      const theirs = env.runc("run", "-b", bundle, "cmp-runc");
      expect(ours.stderr).toBe(theirs.stderr);
      expect(ours.code).toBe(theirs.code);
      const a = sections(ours.stdout, "cmp-ours");
      const b = sections(theirs.stdout, "cmp-runc");
      for (const key of ["caps", "host", "ids", "limits", "umask", "cwd", "env", "mounts"]) {
        expect({ [key]: a[key] }).toEqual({ [key]: b[key] });
      }
    });
  }

  test("HOME: from the container's /etc/passwd when process.env has none (or an empty one), as runc does", async () => {
    const environ = ["cat", "/proc/self/environ"];
    const PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    const outside = `${env.dir}/outside-passwd`;
    writeFileSync(outside, "root:x:0:0::/escaped:/bin/sh\n");
    const cases: [string, (c: Record<string, any>) => void, ((rootfs: string) => void)?, string?][] = [
      ["uid 0, /root in passwd", () => {}, undefined, "HOME=/root"],
      ["uid 65534, /nonexistent", (c) => (c.process.user = { uid: 65534, gid: 65534 }), undefined, "HOME=/nonexistent"],
      ["uid 1000, no entry", (c) => (c.process.user = { uid: 1000, gid: 1000 }), undefined, "HOME=/"],
      ["no /etc/passwd", () => {}, (r) => rmSync(`${r}/etc/passwd`), "HOME=/"],
      ["a passwd symlink pointing out of the root", () => {}, (r) => (rmSync(`${r}/etc/passwd`), symlinkSync(`../../../../..${outside}`, `${r}/etc/passwd`)), "HOME=/"],
      ["an entry without a home field", () => {}, (r) => (rmSync(`${r}/etc/passwd`), writeFileSync(`${r}/etc/passwd`, "root:x:0:0:root\n")), "HOME="],
      ["HOME given", (c) => c.process.env.push("HOME=/given"), undefined, "HOME=/given"],
      ["HOME empty, twice: replaced in place", (c) => (c.process.env = ["HOME=", PATH, "HOME="]), undefined, "HOME=/root"],
    ];
    for (const [name, edit, prepare, want] of cases) {
      const bundle = await env.bundle(`home-${cases.findIndex((c) => c[0] === name)}`, { edit: (c) => ((c.process.args = environ), edit(c)) });
      // The rootfs is hard-linked to the cache: replace files, never write through them.
      prepare?.(`${bundle}/rootfs`);
      const ours = env.ociRun("run", "-b", bundle, "home-ours");
      const theirs = env.runc("run", "-b", bundle, "home-runc");
      expect({ name, code: ours.code, stderr: ours.stderr }).toEqual({ name, code: theirs.code, stderr: theirs.stderr });
      expect({ name, env: ours.stdout.split("\0") }).toEqual({ name, env: theirs.stdout.split("\0") });
      expect({ name, home: theirs.stdout.split("\0").filter((e) => e.startsWith("HOME=")) }).toEqual({ name, home: [want!] });
    }
  }, 60_000);

  test("HOME in `exec`: the exec'd process's uid, --env HOME kept, an empty one replaced", async () => {
    const bundle = await env.bundle("home-exec", { edit: (c) => (c.process.args = ["sleep", "300"]) });
    const ids = { ours: env.id("home-exec-ours"), runc: env.id("home-exec-runc") };
    expect(env.ociRun("run", "-d", "-b", bundle, ids.ours).code).toBe(0);
    expect(env.runc("run", "-d", "-b", bundle, ids.runc).code).toBe(0);
    try {
      for (const [flags, want] of [
        [[], "HOME=/root"],
        [["--user", "1000"], "HOME=/"],
        [["--user", "65534:65534"], "HOME=/nonexistent"],
        [["--env", "HOME=/e"], "HOME=/e"],
        [["--env", "HOME="], "HOME=/root"],
      ] as const) {
        const ours = env.ociRun("exec", ...flags, ids.ours, "cat", "/proc/self/environ");
        const theirs = env.runc("exec", ...flags, ids.runc, "cat", "/proc/self/environ");
        expect({ flags, code: ours.code, env: ours.stdout.split("\0") }).toEqual({ flags, code: theirs.code, env: theirs.stdout.split("\0") });
        expect(theirs.stdout.split("\0").filter((e) => e.startsWith("HOME="))).toEqual([want]);
      }
    } finally {
      env.ociRun("delete", "--force", ids.ours);
      env.runc("delete", "--force", ids.runc);
    }
  }, 60_000);

  test("exit codes", async () => {
    for (const [args, want] of [
      [["true"], 0],
      [["false"], 1],
      [["sh", "-c", "exit 42"], 42],
    ] as const) {
      const b = await env.bundle(`exit-${want}`, { edit: (c) => (c.process.args = [...args]) });
      const ours = env.ociRun("run", "-b", b, "exit-ours");
      const theirs = env.runc("run", "-b", b, "exit-runc");
      expect([ours.code, theirs.code]).toEqual([want, want]);
    }
  });

  test("state JSON: same fields in the same order through the lifecycle", async () => {
    const b = await env.bundle("state", { edit: (c) => ((c.process.args = ["sleep", "300"]), (c.annotations = { "org.example/key": "v" })) });
    const step = (cmd: string[]) => {
      const o = env.ociRun(...cmd.map((w) => (w === "ID" ? "st-ours" : w)));
      const r = env.runc(...cmd.map((w) => (w === "ID" ? "st-runc" : w)));
      expect(o.code).toBe(r.code);
      return [o, r] as const;
    };
    const compare = () => {
      const [o, r] = step(["state", "ID"]);
      expect(o.stdout.endsWith("}")).toBe(r.stdout.endsWith("}"));
      const so = JSON.parse(o.stdout) as Record<string, unknown>;
      const sr = JSON.parse(r.stdout) as Record<string, unknown>;
      expect(Object.keys(so)).toEqual(Object.keys(sr));
      for (const k of ["status", "bundle", "rootfs", "annotations", "owner"]) expect({ [k]: so[k] }).toEqual({ [k]: sr[k] });
      expect(typeof so.pid).toBe(typeof sr.pid);
      expect(so.pid === 0).toBe(sr.pid === 0);
      // The same 2-space layout: identical after replacing the values that must differ.
      const mask = (t: string) => t.replace(/"(ociVersion|id|created)": "[^"]*"/g, '"$1": "…"').replace(/"pid": \d+/, '"pid": N');
      expect(mask(o.stdout)).toBe(mask(r.stdout));
    };
    step(["create", "-b", b, "ID"]);
    compare();
    step(["start", "ID"]);
    compare();
    step(["kill", "ID", "KILL"]);
    await Bun.sleep(300);
    compare();
    const [lo, lr] = step(["list", "--format", "json"]);
    const keys = (t: string) => (JSON.parse(t) as Record<string, unknown>[]).map((c) => Object.keys(c));
    expect(keys(lo.stdout)).toEqual(keys(lr.stdout));
    step(["delete", "ID"]);
    const [go, gr] = step(["state", "ID"]);
    expect(go.code).toBe(1);
    expect(gr.stderr).toContain("does not exist");
    expect(go.stderr).toContain("does not exist");
    step(["delete", "--force", "ID"]); // both exit 0
  });
});
