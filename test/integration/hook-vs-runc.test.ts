/**
 * oci-hook against runc 1.1 on the same bundle: the same hooks, run by
 * `runc create/start/delete` and by `oci-hook run` with the state runc gave
 * them, must see the same argv, environment, working directory and stdin
 * bytes, and fail the same way. Needs root and runc; skipped otherwise.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ID_PREFIX, makeBundle, scratchDir } from "../lib/bundle.ts";
import { removeScratch } from "../lib/rootfs.ts";
import { toolCommand } from "../lib/tools.ts";

const runc = ["/usr/sbin/runc", "/usr/bin/runc"].find((p) => existsSync(p));
const enabled = process.getuid?.() === 0 && runc !== undefined;

/** The environment both runtimes are started with (a hook without env inherits it). */
const CALLER_ENV = { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", HOOK_TEST_MARK: "inherited" };

interface Seen {
  args: string;
  cwd: string;
  env: string[];
  stdin: string;
}

describe.skipIf(!enabled)("oci-hook vs runc 1.1 on the same hooks", () => {
  let dir = "";
  let recorder = "";
  let failer = "";
  beforeAll(() => {
    dir = scratchDir();
    recorder = join(dir, "record.sh");
    // $1 names the record; the shell's own PWD/SHLVL/_ are dropped from the env dump.
    writeFileSync(
      recorder,
      `#!/bin/sh\nout="${dir}/seen/$1.$2"\nprintf '%s\\n' "$@" > "$out.args"\npwd > "$out.cwd"\nenv | grep -Ev '^(PWD|SHLVL|_|OLDPWD)=' | sort > "$out.env"\ncat > "$out.stdin"\n`,
    );
    failer = join(dir, "fail.sh");
    writeFileSync(failer, "#!/bin/sh\necho \"fail out\"\necho \"fail err\" >&2\nexit 3\n");
    chmodSync(recorder, 0o755);
    chmodSync(failer, 0o755);
  });
  const ids: string[] = [];
  afterAll(() => {
    for (const id of ids) runcCmd("delete", "-f", id);
    removeScratch(dir);
  });

  /**
   * runc with our environment. The container inherits create's stdout and
   * stderr, so those go to a file: a pipe would keep spawnSync waiting for the
   * container (it holds the pipe until start).
   */
  function runcCmd(...args: string[]): { status: number | null; stdout: string; stderr: string } {
    const errFile = join(dir, "runc.stderr");
    const errFd = openSync(errFile, "w");
    try {
      const r = spawnSync(runc!, ["--root", join(dir, "runc-state"), ...args], { encoding: "utf8", env: CALLER_ENV, timeout: 30_000, stdio: ["ignore", args[0] === "create" ? errFd : "pipe", errFd] });
      return { status: r.status, stdout: r.stdout ?? "", stderr: readFileSync(errFile, "utf8") };
    } finally {
      closeSync(errFd);
    }
  }

  function ociHook(bundle: string, name: string, stateFile: string) {
    const [cmd, ...pre] = toolCommand("oci-hook");
    return spawnSync(cmd!, [...pre, "run", name, "--bundle", bundle, "--state", stateFile], { encoding: "utf8", env: CALLER_ENV, timeout: 60_000 });
  }

  function seen(who: string, label: string): Seen {
    const base = join(dir, "seen", `${who}.${label}`);
    return {
      args: readFileSync(`${base}.args`, "utf8"),
      cwd: readFileSync(`${base}.cwd`, "utf8"),
      // NODE_PATH comes from pnpm's node_modules/.bin/bun wrapper (uncompiled runs only), not from oci-hook.
      env: readFileSync(`${base}.env`, "utf8").split("\n").filter((l) => l && !l.startsWith("NODE_PATH=")),
      stdin: readFileSync(`${base}.stdin`, "utf8"),
    };
  }

  test("argv, env (given, repeated, empty, absent), cwd and the state bytes match runc's", async () => {
    mkdirSync(join(dir, "seen"), { recursive: true });
    const hooksFor = (who: string) => ({
      prestart: [{ path: recorder, args: ["rec", who, "prestart"] }],
      createRuntime: [{ path: recorder, args: ["argv0-is-dropped-by-sh", who, "createRuntime", "two words", ""], env: ["A=1", "B=x=y", "A=2"] }],
      poststop: [{ path: recorder, args: ["rec", who, "poststop"], env: [] }],
    });
    const id = `${ID_PREFIX}-hook-${process.pid}`;
    ids.push(id);
    const runcBundle = await makeBundle(dir, "runc", {
      edit: (c) => {
        c.process.args = ["true"];
        c.annotations = { "org.example/k": "v" };
        c.hooks = hooksFor("runc");
      },
    });
    const create = runcCmd("create", "-b", runcBundle, id);
    expect(create.stderr).toBe("");
    expect(create.status).toBe(0);
    expect(runcCmd("start", id).status).toBe(0);
    for (let i = 0; i < 100 && !runcCmd("state", id).stdout.includes('"stopped"'); i++) await Bun.sleep(20);
    const del = runcCmd("delete", id);
    expect(del.stderr).toBe("");
    expect(del.status).toBe(0);

    // oci-hook gets the same hooks (same bundle path in the state) and the states runc gave them.
    const ours = await makeBundle(dir, "ours", { noRootfs: true, edit: (c) => (c.hooks = hooksFor("ours")) });
    for (const name of ["prestart", "createRuntime", "poststop"]) {
      const stateFile = join(dir, `${name}.state.json`);
      writeFileSync(stateFile, seen("runc", name).stdin);
      const r = ociHook(ours, name, stateFile);
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      const theirs = seen("runc", name);
      const mine = seen("ours", name);
      expect(mine.args).toBe(theirs.args.replace(/^runc\n/, "ours\n"));
      expect(mine.env).toEqual(theirs.env);
      expect(mine.stdin).toBe(theirs.stdin); // byte for byte: field order, pid left out for poststop
      // runc create chdirs into the bundle; delete does not, so poststop runs in the caller's cwd.
      // oci-hook runs every list in the bundle.
      expect(mine.cwd).toBe(`${ours}\n`);
      expect(theirs.cwd).toBe(name === "poststop" ? `${process.cwd()}\n` : `${runcBundle}\n`);
    }
    expect(seen("runc", "prestart").env).toEqual(["HOOK_TEST_MARK=inherited", `PATH=${CALLER_ENV.PATH}`]);
    expect(seen("runc", "createRuntime").env).toEqual(["A=2", "B=x=y"]);
    expect(seen("runc", "poststop").env).toEqual([]);
    expect(JSON.parse(seen("runc", "prestart").stdin)).toMatchObject({ id, status: "creating", bundle: runcBundle, annotations: { "org.example/k": "v" } });
    expect(JSON.parse(seen("runc", "poststop").stdin).pid).toBeUndefined();
  }, 30_000);

  test("a failing prestart hook: both exit 1 with its exit status, stdout and stderr in the message", async () => {
    const id = `${ID_PREFIX}-hookfail-${process.pid}`;
    ids.push(id);
    const hooks = { prestart: [{ path: failer, args: ["fail", "x"] }] };
    const bundle = await makeBundle(dir, "fail", { edit: (c) => ((c.process.args = ["true"]), (c.hooks = hooks)) });
    const r = runcCmd("create", "-b", bundle, id);
    runcCmd("delete", "-f", id);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("error running hook #0: error running hook: exit status 3, stdout: fail out\\n, stderr: fail err\\n");
    const stateFile = join(dir, "fail.state.json");
    writeFileSync(stateFile, JSON.stringify({ ociVersion: "1.2.0", id, status: "creating", pid: 1, bundle }));
    const ours = ociHook(bundle, "prestart", stateFile);
    expect(ours.status).toBe(1);
    expect(ours.stderr).toBe(`oci-hook: error running prestart hook #0 (${failer}): exit status 3, stdout: "fail out\\n", stderr: "fail err\\n"\n`);
  }, 30_000);

  test("a failing poststop hook: both delete/run exit 0; runc 1.1 skips the next poststop hook, we run it (runtime-spec)", async () => {
    rmSeen();
    const id = `${ID_PREFIX}-hookstop-${process.pid}`;
    ids.push(id);
    const hooks = (who: string) => ({ poststop: [{ path: failer }, { path: recorder, args: ["rec", who, "after"] }] });
    const bundle = await makeBundle(dir, "stopfail", { edit: (c) => ((c.process.args = ["true"]), (c.hooks = hooks("runc"))) });
    expect(runcCmd("create", "-b", bundle, id).status).toBe(0);
    expect(runcCmd("start", id).status).toBe(0);
    for (let i = 0; i < 100 && !runcCmd("state", id).stdout.includes('"stopped"'); i++) await Bun.sleep(20);
    const del = runcCmd("delete", id);
    expect(del.status).toBe(0);
    expect(del.stderr).toContain("exit status 3");
    expect(readdirSync(join(dir, "seen")).filter((f) => f.startsWith("runc.after"))).toEqual([]);

    const ours = await makeBundle(dir, "stopfail-ours", { noRootfs: true, edit: (c) => (c.hooks = hooks("ours")) });
    const stateFile = join(dir, "stop.state.json");
    writeFileSync(stateFile, JSON.stringify({ ociVersion: "1.2.0", id, status: "stopped", bundle }));
    const r = ociHook(ours, "poststop", stateFile);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain(`oci-hook: warning: error running poststop hook #0 (${failer}): exit status 3`);
    expect(JSON.parse(seen("ours", "after").stdin).status).toBe("stopped");
  }, 30_000);

  test("runc 1.1 runs poststart during create (status created) and a failing one fails create; we follow the contract (running)", async () => {
    rmSeen();
    const id = `${ID_PREFIX}-hookpost-${process.pid}`;
    ids.push(id);
    const bundle = await makeBundle(dir, "poststart", { edit: (c) => ((c.process.args = ["true"]), (c.hooks = { poststart: [{ path: recorder, args: ["rec", "runc", "poststart"] }] })) });
    expect(runcCmd("create", "-b", bundle, id).status).toBe(0);
    const atCreate = seen("runc", "poststart"); // before start was ever called
    expect(JSON.parse(atCreate.stdin).status).toBe("created");
    runcCmd("delete", "-f", id);

    const failId = `${ID_PREFIX}-hookpostfail-${process.pid}`;
    ids.push(failId);
    const failing = await makeBundle(dir, "poststart-fail", { edit: (c) => ((c.process.args = ["true"]), (c.hooks = { poststart: [{ path: failer }] })) });
    const r = runcCmd("create", "-b", failing, failId);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("exit status 3");
    expect(runcCmd("state", failId).status).toBe(1); // the container was destroyed

    const stateFile = join(dir, "poststart.state.json");
    writeFileSync(stateFile, atCreate.stdin);
    const ours = await makeBundle(dir, "poststart-ours", { noRootfs: true, edit: (c) => (c.hooks = { poststart: [{ path: recorder, args: ["rec", "ours", "poststart"] }, { path: failer }] }) });
    const o = ociHook(ours, "poststart", stateFile);
    expect(o.status).toBe(1);
    expect(JSON.parse(seen("ours", "poststart").stdin)).toEqual({ ...JSON.parse(atCreate.stdin), status: "running" });
  }, 30_000);

  function rmSeen(): void {
    const seenDir = join(dir, "seen");
    for (const f of readdirSync(seenDir)) spawnSync("rm", ["-f", join(seenDir, f)]);
  }
});
