/**
 * OCI hooks through oci-run's lifecycle on real containers (root): the seed's
 * hooks (prestart with only a path, poststart with a timeout, poststop with
 * args) in `oci-spec init`'s config, recorder scripts that write down argv,
 * env, stdin (the state), cwd, hostname and mount namespace, and the order
 * of runs. In-container hooks (createContainer before pivot_root,
 * startContainer after start), failures, timeouts, poststop warnings and
 * retries, the hookless fast path, and the same hooks under runc 1.1.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { TestEnv } from "../lib/container.ts";
import { repoRoot } from "../lib/tools.ts";

const SEED = JSON.parse(readFileSync("/work/shared/fixtures/seed-config-fragments.json", "utf8")) as { hooks: Record<string, Array<Record<string, unknown>>> };
const hasRunc = spawnSync("runc", ["--version"]).status === 0;
/** Both runtimes inherit the test's environment: a hook without env must see this. */
process.env.HOOK_TEST_MARK = "inherited";

let env: TestEnv;

beforeAll(() => {
  env = new TestEnv();
});

afterAll(() => {
  env.finish();
});

/** Env lines a hook sees, minus the shell's own and Bun's wrapper variable (uncompiled runs only). */
const ENV_FILTER = "grep -Ev '^(PWD|SHLVL|_|OLDPWD|NODE_PATH)=' | sort";

/** A host recorder for `label`: writes <seen>/<label>.{args,cwd,env,host,mnt,stdin} and appends the label to <seen>/order. */
function recorder(seen: string, label: string, extra = ""): string {
  mkdirSync(seen, { recursive: true });
  const path = join(seen, `../hooks-${seen.split("/").pop()}-${label}.sh`);
  writeFileSync(
    path,
    `#!/bin/sh\no="${seen}/${label}"\necho ${label} >> "${seen}/order"\nprintf '%s\\n' "$@" > "$o.args"\npwd > "$o.cwd"\nenv | ${ENV_FILTER} > "$o.env"\nhostname > "$o.host"\nreadlink /proc/self/ns/mnt > "$o.mnt"\ncat > "$o.stdin"\n${extra}`,
  );
  chmodSync(path, 0o755);
  return path;
}

/** The startContainer hook: busybox sh inside the container, recording into the bind-mounted /hookout. */
function inContainerRecorder(label: string, extra = ""): { path: string; args: string[] } {
  const script = `o=/hookout/${label}; echo ${label} >> /hookout/order; printf '%s\\n' "$@" > $o.args; pwd > $o.cwd; env | ${ENV_FILTER} > $o.env; hostname > $o.host; readlink /proc/self/ns/mnt > $o.mnt; cat > $o.stdin; ${extra}`;
  return { path: "/bin/sh", args: ["sh", "-c", script, "sh", "in-container-arg"] };
}

function order(seen: string): string[] {
  const p = join(seen, "order");
  return existsSync(p) ? readFileSync(p, "utf8").split("\n").filter(Boolean) : [];
}

interface Seen {
  args: string[];
  cwd: string;
  env: string[];
  host: string;
  mnt: string;
  state: Record<string, unknown>;
}

function seen(dir: string, label: string): Seen {
  const r = (ext: string) => readFileSync(join(dir, `${label}.${ext}`), "utf8");
  return {
    args: r("args").split("\n").filter(Boolean),
    cwd: r("cwd").trim(),
    env: r("env").split("\n").filter(Boolean),
    host: r("host").trim(),
    mnt: r("mnt").trim(),
    state: JSON.parse(r("stdin")) as Record<string, unknown>,
  };
}

function state(id: string): Record<string, unknown> {
  const r = env.ociRun("state", id);
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

async function waitFor(what: string, ok: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(20);
  }
}

const stopped = (id: string, run: (...a: string[]) => { code: number; stdout: string }) => () => {
  const r = run("state", id);
  return r.code === 0 && (JSON.parse(r.stdout) as { status: string }).status === "stopped";
};

/** Nothing of `id` is left: no state dir, no cgroup, no process of its cgroup. */
function expectGone(id: string): void {
  expect(existsSync(join(env.root, id))).toBe(false);
  const cg = spawnSync("find", ["/sys/fs/cgroup", "-maxdepth", "3", "-name", id], { encoding: "utf8" });
  expect(cg.stdout).toBe("");
  expect(env.ociRun("state", id).stderr).toContain("does not exist");
}

const hostMnt = readlinkSync("/proc/self/ns/mnt");

/** Live (not zombie) processes whose command line contains `marker`. */
function processesWith(marker: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (!readFileSync(`/proc/${name}/cmdline`, "utf8").includes(marker)) continue;
      if (!readFileSync(`/proc/${name}/stat`, "utf8").includes(") Z ")) out.push(Number(name));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

describe("the seed's hooks in oci-spec init's config", () => {
  test("prestart (path only) at create, poststart (timeout 5) at start, poststop (args) at delete: once each, right status, pid, argv, env, cwd", async () => {
    const rec = join(env.dir, "seed-seen");
    const hooks = structuredClone(SEED.hooks);
    hooks.prestart![0]!.path = recorder(rec, "prestart");
    hooks.poststart![0]!.path = recorder(rec, "poststart");
    hooks.poststop![0]!.path = recorder(rec, "poststop");
    expect(hooks.prestart![0]).toEqual({ path: hooks.prestart![0]!.path }); // only a path
    expect(hooks.poststart![0]!.timeout).toBe(5);
    expect(hooks.poststop![0]!.args).toEqual(["cleanup.sh", "-f"]);
    const bundle = await env.bundle("seed", {
      edit: (c) => {
        c.process.args = ["sh", "-c", "sleep 0.3"];
        c.annotations = { "org.example/k": "v" };
        c.hooks = hooks;
      },
    });
    const id = env.id("seed");

    const c = env.ociRun("create", "-b", bundle, id);
    expect(c.stderr).toBe("");
    expect(c.code).toBe(0);
    expect(order(rec)).toEqual(["prestart"]);
    const created = state(id);
    const pre = seen(rec, "prestart");
    expect(pre.state).toEqual({ ociVersion: created.ociVersion, id, status: "creating", pid: created.pid, bundle, annotations: { "org.example/k": "v" } });
    expect(pre.args).toEqual([]); // no args: argv is just the path
    expect(pre.cwd).toBe(bundle); // runc's create runs in the bundle
    expect(pre.env).toContain("HOOK_TEST_MARK=inherited"); // no env: the runtime's own
    expect(pre.mnt).toBe(hostMnt); // on the host

    const s = env.ociRun("start", id);
    expect(s.stderr).toBe("");
    expect(s.code).toBe(0);
    expect(order(rec)).toEqual(["prestart", "poststart"]); // start returns after poststart ran
    const post = seen(rec, "poststart");
    expect(post.state).toMatchObject({ id, status: "running", pid: created.pid, bundle });
    expect(post.cwd).toBe(bundle);

    await waitFor("the container to stop", stopped(id, env.ociRun.bind(env)));
    expect(order(rec)).toEqual(["prestart", "poststart"]);
    const d = env.ociRun("delete", id);
    expect(d.stderr).toBe("");
    expect(d.code).toBe(0);
    expect(order(rec)).toEqual(["prestart", "poststart", "poststop"]);
    const stop = seen(rec, "poststop");
    expect(stop.state).toEqual({ ociVersion: created.ociVersion, id, status: "stopped", bundle, annotations: { "org.example/k": "v" } }); // no pid
    expect(stop.args).toEqual(["-f"]); // argv = ["cleanup.sh", "-f"]: $0 is the script, $1 "-f"
    expect(stop.cwd).toBe(process.cwd()); // runc's delete: the caller's cwd
    // containerd deletes twice: the second neither fails nor runs the hooks again.
    expect(env.ociRun("delete", "--force", id).code).toBe(0);
    expect(order(rec)).toEqual(["prestart", "poststart", "poststop"]);
    expectGone(id);
  }, 30_000);

  test("run (foreground) runs all three and deletes; delete --force of a running container runs poststop", async () => {
    const rec = join(env.dir, "run-seen");
    const hooks = { prestart: [{ path: recorder(rec, "prestart") }], poststart: [{ path: recorder(rec, "poststart"), timeout: 5 }], poststop: [{ path: recorder(rec, "poststop"), args: ["cleanup.sh", "-f"] }] };
    const bundle = await env.bundle("run", { edit: (c) => ((c.process.args = ["sh", "-c", "exit 7"]), (c.hooks = hooks)) });
    const id = env.id("run");
    const r = env.ociRun("run", "-b", bundle, id);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(7);
    expect(order(rec)).toEqual(["prestart", "poststart", "poststop"]);
    expectGone(id);

    const rec2 = join(env.dir, "force-seen");
    const hooks2 = { poststop: [{ path: recorder(rec2, "poststop") }] };
    const b2 = await env.bundle("force", { edit: (c) => ((c.process.args = ["sleep", "30"]), (c.hooks = hooks2)) });
    const id2 = env.id("force");
    expect(env.ociRun("run", "-d", "-b", b2, id2).code).toBe(0);
    expect(state(id2).status).toBe("running");
    expect(env.ociRun("delete", id2).code).toBe(1); // still running: nothing runs
    expect(order(rec2)).toEqual([]);
    const d = env.ociRun("delete", "--force", id2);
    expect(d.stderr).toBe("");
    expect(d.code).toBe(0);
    expect(order(rec2)).toEqual(["poststop"]);
    expect(seen(rec2, "poststop").state.status).toBe("stopped");
    expectGone(id2);
  }, 30_000);
});

describe("hooks in the container's namespaces", () => {
  test("createContainer: the container's hostname and mount namespace, a host path, before pivot; startContainer: inside the root after start", async () => {
    const rec = join(env.dir, "in-seen");
    const inside = join(env.dir, "in-hookout");
    mkdirSync(inside);
    const hooks = {
      createRuntime: [{ path: recorder(rec, "createRuntime") }],
      // The script lives under /tmp on the host; the container's rootfs has no such file: the path resolves on the host.
      createContainer: [{ path: recorder(rec, "createContainer", `test -d "${env.dir}" && echo host-root > "$o.root"\n`), args: ["cc", "x"], env: ["ONLY=this"] }],
      startContainer: [inContainerRecorder("startContainer")],
    };
    const bundle = await env.bundle("in", {
      edit: (c) => {
        c.hostname = "hooked-box";
        c.process.args = ["sh", "-c", "sleep 0.3"];
        c.process.env = [...c.process.env, "FROM_PROCESS=1"];
        c.mounts.push({ destination: "/hookout", type: "bind", source: inside, options: ["rbind", "rw"] });
        c.hooks = hooks;
      },
    });
    const id = env.id("in");
    const c = env.ociRun("create", "-b", bundle, id);
    expect(c.stderr).toBe("");
    expect(c.code).toBe(0);
    expect(order(rec)).toEqual(["createRuntime", "createContainer"]);
    const pid = state(id).pid as number;
    const cr = seen(rec, "createRuntime");
    expect(cr.mnt).toBe(hostMnt);
    expect(cr.state).toMatchObject({ status: "creating", pid });
    const cc = seen(rec, "createContainer");
    expect(cc.host).toBe("hooked-box");
    expect(cc.mnt).not.toBe(hostMnt);
    expect(cc.mnt).toBe(readlinkSync(`/proc/${pid}/ns/mnt`));
    expect(cc.state).toEqual({ ociVersion: state(id).ociVersion, id, status: "creating", pid: 1, bundle }); // pid as seen inside (new pid ns)
    expect(cc.args).toEqual(["x"]);
    expect(cc.env).toEqual(["ONLY=this"]);
    expect(readFileSync(join(rec, "createContainer.root"), "utf8")).toBe("host-root\n"); // before pivot_root: / is still the host's
    expect(order(inside)).toEqual([]); // startContainer waits for start

    expect(env.ociRun("start", id).code).toBe(0);
    await waitFor("the startContainer hook", () => existsSync(join(inside, "startContainer.stdin")) && readFileSync(join(inside, "startContainer.stdin"), "utf8").endsWith("}"));
    expect(order(inside)).toEqual(["startContainer"]);
    const sc = seen(inside, "startContainer");
    expect(sc.state).toEqual({ ociVersion: state(id).ociVersion, id, status: "created", pid: 1, bundle });
    expect(sc.host).toBe("hooked-box");
    expect(sc.mnt).toBe(cc.mnt);
    expect(sc.cwd).toBe("/"); // the process's cwd inside the root
    expect(sc.args).toEqual(["in-container-arg"]);
    expect(sc.env).toContain("FROM_PROCESS=1"); // no env: the container process's (runc's init does the same)
    await waitFor("the container to stop", stopped(id, env.ociRun.bind(env)));
    expect(env.ociRun("delete", id).code).toBe(0);
    expect(order(rec)).toEqual(["createRuntime", "createContainer"]); // nothing ran twice
    expectGone(id);
  }, 30_000);

  test("a failing startContainer hook: start exits 0 (like runc), the process never runs, the container ends stopped", async () => {
    const inside = join(env.dir, "scfail-hookout");
    mkdirSync(inside);
    const bundle = await env.bundle("scfail", {
      edit: (c) => {
        c.process.args = ["sh", "-c", "echo ran > /hookout/process"];
        c.mounts.push({ destination: "/hookout", type: "bind", source: inside, options: ["rbind", "rw"] });
        c.hooks = { startContainer: [{ path: "/bin/sh", args: ["sh", "-c", "echo nope >&2; exit 4"] }] };
      },
    });
    const id = env.id("scfail");
    expect(env.ociRun("create", "-b", bundle, id).code).toBe(0);
    expect(env.ociRun("start", id).code).toBe(0);
    await waitFor("the container to stop", stopped(id, env.ociRun.bind(env)));
    expect(existsSync(join(inside, "process"))).toBe(false);
    expect(env.ociRun("delete", id).code).toBe(0);
    expectGone(id);
  }, 30_000);
});

describe("failures", () => {
  const failing = (label: string) => `echo "${label} out"; echo "${label} err" >&2; exit 3\n`;

  for (const list of ["prestart", "createRuntime", "createContainer"] as const) {
    test(`a failing ${list} hook: create exits 1 with its output, leaves nothing, poststop runs once (as runc)`, async () => {
      const rec = join(env.dir, `${list}-fail-seen`);
      const hooks: Record<string, Array<{ path: string; args?: string[] }>> = {
        [list]: [{ path: recorder(rec, list, failing(list)) }],
        poststop: [{ path: recorder(rec, "poststop") }],
        startContainer: [inContainerRecorder("startContainer")],
      };
      const bundle = await env.bundle(`${list}-fail`, { edit: (c) => ((c.process.args = ["true"]), (c.hooks = hooks)) });
      const id = env.id(`${list}-fail`);
      const r = env.ociRun("create", "-b", bundle, id);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe("");
      const line = r.stderr.trimEnd();
      expect(line.split("\n")).toHaveLength(1);
      expect(line).toBe(`oci-run: create ${id}: error running ${list} hook #0 (${hooks[list]![0]!.path}): exit status 3, stdout: "${list} out\\n", stderr: "${list} err\\n"`);
      expect(order(rec)).toEqual([list, "poststop"]);
      expect(seen(rec, "poststop").state).toMatchObject({ id, status: "stopped" });
      expectGone(id);
    }, 30_000);
  }

  test("a missing hook executable fails create with 'no such file or directory' (podman maps it to 127)", async () => {
    for (const list of ["prestart", "createContainer"]) {
      const bundle = await env.bundle(`missing-${list}`, { edit: (c) => ((c.process.args = ["true"]), (c.hooks = { [list]: [{ path: `${env.dir}/no-such-hook` }] })) });
      const id = env.id("missing");
      const r = env.ociRun("create", "-b", bundle, id);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`error running ${list} hook #0 (${env.dir}/no-such-hook): exec ${env.dir}/no-such-hook: no such file or directory`);
      expectGone(id);
    }
  }, 30_000);

  test("a hook past its timeout is killed with what it started, and fails create", async () => {
    for (const list of ["prestart", "createContainer"]) {
      // The hook's child carries a marker in its argv: createContainer's pids are the container's, not ours.
      const marker = `${env.dir}/${list}-sleeper`;
      const script = join(env.dir, `${list}-slow.sh`);
      writeFileSync(script, `#!/bin/sh\nsh -c 'sleep 30; :' ${marker} &\nwait\n`);
      chmodSync(script, 0o755);
      const bundle = await env.bundle(`slow-${list}`, { edit: (c) => ((c.process.args = ["true"]), (c.hooks = { [list]: [{ path: script, timeout: 1 }] })) });
      const id = env.id("slow");
      const t0 = Date.now();
      const r = env.ociRun("create", "-b", bundle, id);
      const took = Date.now() - t0;
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`error running ${list} hook #0 (${script}): hook ran past specified timeout of 1.0s`);
      expect(took).toBeGreaterThanOrEqual(1000);
      expect(took).toBeLessThan(10_000);
      // The hook's own child went with it (process group SIGKILL).
      await waitFor("the hook's child to die", () => processesWith(marker).length === 0, 3000);
      expectGone(id);
    }
  }, 40_000);

  test("a failing poststart hook: start exits 1 with its output, the container is killed, delete runs poststop", async () => {
    const rec = join(env.dir, "pstfail-seen");
    const hooks = { poststart: [{ path: recorder(rec, "poststart", failing("poststart")), timeout: 5 }], poststop: [{ path: recorder(rec, "poststop") }] };
    const bundle = await env.bundle("pstfail", { edit: (c) => ((c.process.args = ["sleep", "30"]), (c.hooks = hooks)) });
    const id = env.id("pstfail");
    expect(env.ociRun("create", "-b", bundle, id).code).toBe(0);
    const r = env.ociRun("start", id);
    expect(r.code).toBe(1);
    expect(r.stderr.trimEnd()).toBe(`oci-run: start ${id}: error running poststart hook #0 (${hooks.poststart[0]!.path}): exit status 3, stdout: "poststart out\\n", stderr: "poststart err\\n"`);
    await waitFor("the container to be killed", stopped(id, env.ociRun.bind(env)), 3000);
    expect(order(rec)).toEqual(["poststart"]);
    expect(env.ociRun("delete", id).code).toBe(0);
    expect(order(rec)).toEqual(["poststart", "poststop"]);
    expectGone(id);
  }, 30_000);

  test("a failing poststop hook is a warning: delete exits 0, the next poststop hook still runs; --log gets a warning line", async () => {
    const rec = join(env.dir, "ppfail-seen");
    const failer = recorder(rec, "poststop-1", failing("poststop"));
    const hooks = { poststop: [{ path: failer }, { path: recorder(rec, "poststop-2") }] };
    const bundle = await env.bundle("ppfail", { edit: (c) => ((c.process.args = ["true"]), (c.hooks = hooks)) });
    for (const withLog of [false, true]) {
      const id = env.id("ppfail");
      expect(env.ociRun("create", "-b", bundle, id).code).toBe(0);
      const log = join(env.dir, `ppfail-${withLog}.log`);
      const d = withLog ? env.ociRun("--log", log, "--log-format", "json", "delete", id) : env.ociRun("delete", id);
      expect(d.code).toBe(0);
      const warning = `delete ${id}: error running poststop hook #0 (${failer}): exit status 3, stdout: "poststop out\\n", stderr: "poststop err\\n"`;
      expect(d.stderr).toBe(`oci-run: warning: ${warning}\n`);
      if (withLog) {
        const lines = readFileSync(log, "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
        expect(lines).toHaveLength(1);
        expect(lines[0]).toMatchObject({ level: "warning", msg: warning });
      }
      expectGone(id);
    }
    expect(order(rec)).toEqual(["poststop-1", "poststop-2", "poststop-1", "poststop-2"]);
  }, 30_000);

  test("a failed create whose poststop hook fails too: one error line (the JSON log podman reads as one object)", async () => {
    const rec = join(env.dir, "both-fail-seen");
    const pre = recorder(rec, "prestart", failing("prestart"));
    const post = recorder(rec, "poststop", failing("poststop"));
    const bundle = await env.bundle("both-fail", { edit: (c) => ((c.process.args = ["true"]), (c.hooks = { prestart: [{ path: pre }], poststop: [{ path: post }] })) });
    const id = env.id("both-fail");
    const log = join(env.dir, "both-fail.log");
    const r = env.ociRun("--log", log, "--log-format", "json", "create", "-b", bundle, id);
    expect(r.code).toBe(1);
    const lines = readFileSync(log, "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.level).toBe("error");
    expect(String(lines[0]!.msg)).toContain(`error running prestart hook #0 (${pre})`);
    expect(String(lines[0]!.msg)).toContain(`error running poststop hook #0 (${post})`);
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(order(rec)).toEqual(["prestart", "poststop"]);
    expectGone(id);
  });

  test("SIGINT while a prestart hook runs: create waits for the hook, then rolls back (130) and runs nothing more", async () => {
    const rec = join(env.dir, "intr-seen");
    const hooks = { prestart: [{ path: recorder(rec, "prestart", "sleep 1\n") }], createRuntime: [{ path: recorder(rec, "createRuntime") }] };
    const bundle = await env.bundle("intr", { edit: (c) => ((c.process.args = ["true"]), (c.hooks = hooks)) });
    const id = env.id("intr");
    const bg = env.ociRunBackground("create", "-b", bundle, id);
    await waitFor("prestart to start", () => order(rec).length > 0);
    bg.child.kill("SIGINT");
    expect(await bg.done).toBe(130);
    expect(order(rec)).toEqual(["prestart"]); // the list stops: createRuntime never ran
    expectGone(id);
  }, 30_000);

  test("a delete killed while poststop runs is finished by the next delete, which does not run the hooks again", async () => {
    const rec = join(env.dir, "retry-seen");
    const done = join(env.dir, "retry-done");
    const hooks = { poststop: [{ path: recorder(rec, "poststop", `sleep 1; touch ${done}\n`) }] };
    const bundle = await env.bundle("retry", { edit: (c) => ((c.process.args = ["true"]), (c.hooks = hooks)) });
    const id = env.id("retry");
    expect(env.ociRun("create", "-b", bundle, id).code).toBe(0);
    const bg = env.ociRunBackground("delete", id);
    await waitFor("poststop to start", () => order(rec).length > 0);
    bg.child.kill("SIGKILL");
    await bg.done;
    expect(existsSync(join(env.root, id))).toBe(true); // the state dir goes last
    const again = env.ociRun("delete", "--force", id);
    expect(again.stderr).toBe("");
    expect(again.code).toBe(0);
    expectGone(id);
    await waitFor("the first poststop to finish", () => existsSync(done), 5000); // it lives on (own session), like runc's
    expect(order(rec)).toEqual(["poststop"]);
  }, 30_000);
});

describe("fast path", () => {
  /** Runs create/start/delete in one Bun process and lists the modules it loaded. */
  function loadedModules(bundle: string, id: string): string[] {
    const probe = `
const { tool } = await import(${JSON.stringify(join(repoRoot, "packages/run/src/cli.ts"))});
const { runToolStatus } = await import("@oci-tools/cli");
const io = { stdout: () => {}, stderr: (s) => process.stderr.write(s) };
for (const argv of [["create", "-b", ${JSON.stringify(bundle)}, ${JSON.stringify(id)}], ["start", ${JSON.stringify(id)}], ["delete", "-f", ${JSON.stringify(id)}]]) {
  const status = await runToolStatus(tool, ["--root", ${JSON.stringify(env.root)}, ...argv], io);
  if (status !== 0) throw new Error(argv[0] + " exited " + status);
}
process.stdout.write(JSON.stringify(Object.keys(require.cache)));
`;
    const r = spawnSync(process.execPath, ["-e", probe], { cwd: join(repoRoot, "packages/run"), encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    expect(r.stderr).toBe("");
    return JSON.parse(r.stdout) as string[];
  }

  test("no hooks: no sync op, no hook op, @oci-tools/hook never loaded; with hooks it is (so the probe can tell)", async () => {
    const { buildPlan } = await import("../../packages/run/src/planner.ts");
    const { detectHost, planCgroup } = await import("../../packages/cgroup/src/index.ts");
    const { loadSpec } = await import("../../packages/spec/src/index.ts");
    const plain = await env.bundle("fast", { edit: (c) => (c.process.args = ["true"]) });
    const hooked = await env.bundle("fast-hooked", { edit: (c) => ((c.process.args = ["true"]), (c.hooks = { createContainer: [{ path: "/bin/true" }], startContainer: [{ path: "/bin/true" }] })) });
    const host = detectHost();
    const planFor = async (bundle: string) => {
      const cgroup = planCgroup({ layout: host.layout, own: host.own, id: "x", systemd: false });
      const ctx = { id: "x", bundle, rootfs: `${bundle}/rootfs`, stage0: "exit" as const, cgroupProcs: [], execFifo: "/x/exec.fifo", noPivot: false, noNewKeyring: false, preserveFds: 0 };
      return buildPlan(loadSpec(bundle), ctx, { layout: host.layout, cgroup });
    };
    const p0 = await planFor(plain);
    expect(p0.ops.filter((o) => o.op === "sync" || o.op === "hook")).toEqual([]);
    expect(p0.process.startHooks).toBeUndefined();
    const p1 = await planFor(hooked);
    const names = p1.ops.map((o) => o.op);
    const pivot = names.indexOf("pivot-root");
    expect(names.slice(pivot - 2, pivot + 1)).toEqual(["sync", "hook", "pivot-root"]); // after every mount, right before pivot_root
    expect(names.lastIndexOf("mount")).toBeLessThan(pivot - 2);
    expect(p1.process.startHooks).toHaveLength(1);

    const without = loadedModules(plain, env.id("fastp"));
    expect(without.some((k) => k.includes("/packages/run/src/create.ts"))).toBe(true);
    expect(without.filter((k) => k.includes("/packages/hook/"))).toEqual([]);
    const withHooks = loadedModules(hooked, env.id("fasth"));
    expect(withHooks.some((k) => k.includes("/packages/hook/src/run-hooks.ts"))).toBe(true);
  }, 30_000);
});

describe.skipIf(!hasRunc)("side by side with runc 1.1", () => {
  test("a failing create hook: both exit 1 with the hook's output, remove the container and run poststop once", async () => {
    for (const list of ["prestart", "createRuntime", "createContainer"]) {
      const outcome: Record<string, { code: number; order: string[]; stderr: string }> = {};
      for (const who of ["runc", "ours"]) {
        const rec = join(env.dir, `cmpfail-${list}-${who}`);
        const hooks = { [list]: [{ path: recorder(rec, list, `echo "${list} said"; exit 3\n`) }], poststop: [{ path: recorder(rec, "poststop") }] };
        const bundle = await env.bundle(`cmpfail-${list}-${who}`, { edit: (c) => ((c.process.args = ["true"]), (c.hooks = hooks)) });
        const id = env.id(`cmpfail-${who}`);
        const run = who === "runc" ? env.runc.bind(env) : env.ociRun.bind(env);
        const r = run("create", "--bundle", bundle, id);
        outcome[who] = { code: r.code, order: order(rec), stderr: r.stderr };
        expect(run("state", id).code).not.toBe(0); // gone in both
      }
      expect(outcome.ours!.code).toBe(outcome.runc!.code);
      expect(outcome.ours!.order).toEqual(outcome.runc!.order);
      expect(outcome.runc!.order).toEqual([list, "poststop"]);
      // runc prints the output unquoted inside logrus' quoting; oci-hook JSON-quotes it (one line whatever it holds).
      expect(outcome.runc!.stderr).toContain(`exit status 3, stdout: ${list} said\\n, stderr: `);
      expect(outcome.ours!.stderr).toContain(`exit status 3, stdout: "${list} said\\n", stderr: ""`);
    }
  }, 60_000);

  test("the same six hooks: same argv, env, cwd, state fields and order (runc 1.1 runs poststart at create)", async () => {
    const views: Record<string, { rec: string; inside: string; id: string; bundle: string }> = {};
    for (const who of ["runc", "ours"]) {
      const rec = join(env.dir, `cmp-${who}`);
      const inside = join(env.dir, `cmp-${who}-hookout`);
      mkdirSync(inside, { recursive: true });
      const hooks = {
        prestart: [{ path: recorder(rec, "prestart") }],
        createRuntime: [{ path: recorder(rec, "createRuntime"), args: ["cr", "a b", ""], env: ["A=1", "A=2", "B=x=y"] }],
        createContainer: [{ path: recorder(rec, "createContainer"), args: ["cc", "1"] }],
        startContainer: [inContainerRecorder("startContainer")],
        poststart: [{ path: recorder(rec, "poststart"), timeout: 5 }],
        poststop: [{ path: recorder(rec, "poststop"), args: ["cleanup.sh", "-f"], env: [] }],
      };
      const bundle = await env.bundle(`cmp-${who}`, {
        edit: (c) => {
          c.hostname = "cmp-box";
          c.process.args = ["sh", "-c", "sleep 0.2"];
          c.process.env = [...c.process.env, "FROM_PROCESS=1"];
          c.annotations = { "org.example/k": "v" };
          c.mounts.push({ destination: "/hookout", type: "bind", source: inside, options: ["rbind", "rw"] });
          c.hooks = hooks;
        },
      });
      const id = env.id(`cmp-${who}`);
      const run = who === "runc" ? env.runc.bind(env) : env.ociRun.bind(env);
      const c = run("create", "--bundle", bundle, id);
      expect(c.stderr).toBe("");
      expect(c.code).toBe(0);
      expect(run("start", id).code).toBe(0);
      const stdin = join(inside, "startContainer.stdin"); // written last by the recorder
      await waitFor(`${who}: startContainer`, () => existsSync(stdin) && readFileSync(stdin, "utf8").endsWith("}"));
      await waitFor(`${who}: stopped`, stopped(id, run));
      const d = run("delete", id);
      expect(d.stderr).toBe("");
      expect(d.code).toBe(0);
      views[who] = { rec, inside, id, bundle };
    }
    const runc = views.runc!;
    const ours = views.ours!;
    // runc 1.1 runs poststart inside `create` (status "created"); runtime-spec 1.2 and oci-run at `start` ("running").
    expect(order(runc.rec)).toEqual(["prestart", "createRuntime", "createContainer", "poststart", "poststop"]);
    expect(order(ours.rec)).toEqual(["prestart", "createRuntime", "createContainer", "poststart", "poststop"]);
    const norm = (v: Seen, w: typeof runc): Seen => ({
      ...v,
      cwd: v.cwd.replace(w.bundle, "<bundle>"),
      env: v.env.filter((l) => !/^(NODE_PATH|BUN_\w+)=/.test(l)),
      // Different containers: ids, pids, bundles and the state version differ by construction.
      state: { ...v.state, id: "<id>", bundle: v.state.bundle === w.bundle ? "<bundle>" : v.state.bundle, ociVersion: "<v>", pid: typeof v.state.pid === "number" ? (v.state.pid === 1 ? 1 : "<host pid>") : v.state.pid },
      mnt: v.mnt === hostMnt ? "host" : "container",
    });
    for (const label of ["prestart", "createRuntime", "createContainer", "poststart", "poststop"]) {
      const theirs = norm(seen(runc.rec, label), runc);
      const mine = norm(seen(ours.rec, label), ours);
      if (label === "poststart") {
        expect(theirs.state.status).toBe("created");
        expect(mine.state.status).toBe("running");
        theirs.state.status = mine.state.status;
      }
      if (label === "createContainer") {
        // runc runs it with the rootfs as cwd; native runs hooks where stage 1 stands (oci-run's cwd).
        expect(theirs.cwd).toBe("<bundle>/rootfs");
        theirs.cwd = mine.cwd;
        // runc 1.1 sets the hostname after prepareRootfs (which runs these hooks): they see the new UTS
        // namespace with the host's name still in it. oci-run sets it first, so they see the container's.
        expect(theirs.host).toBe(spawnSync("hostname", { encoding: "utf8" }).stdout.trim());
        expect(mine.host).toBe("cmp-box");
        theirs.host = mine.host;
      }
      expect({ label, ...mine }).toEqual({ label, ...theirs });
    }
    // runc's init sets HOME from the container's /etc/passwd before it runs startContainer hooks, which
    // inherit its environment: the home-from-passwd op gives them the same (HOME included in the comparison).
    const sTheirs = norm(seen(runc.inside, "startContainer"), runc);
    expect(sTheirs.env.some((l) => l.startsWith("HOME="))).toBe(true);
    const sMine = norm(seen(ours.inside, "startContainer"), ours);
    expect(sMine).toEqual(sTheirs);
    expect(sMine.state).toMatchObject({ status: "created", pid: 1 });
  }, 60_000);
});
