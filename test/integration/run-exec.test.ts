/**
 * `oci-run exec` (issue 4): namespaces, cgroup, user and capabilities,
 * exit codes and signals, concurrency, life and death with the container,
 * refusals, and two attacks from inside the container (the runtime binary
 * through /proc/<pid>/exe, leaked fds).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, openSync, closeSync, readFileSync, readdirSync, readlinkSync, writeFileSync } from "node:fs";
import { spawn } from "node:child_process";
import { freeze, thaw, type CgroupPlan } from "../../packages/cgroup/src/index.ts";
import { TestEnv } from "../lib/container.ts";
import { toolCommand } from "../lib/tools.ts";

let env: TestEnv;
let id: string;
let initPid: number;

beforeAll(async () => {
  env = new TestEnv();
  const b = await env.bundle("exec", { edit: (c) => (c.process.args = ["sleep", "1000"]) });
  id = env.id("exec");
  const r = env.ociRun("run", "--detach", "--bundle", b, id);
  if (r.code !== 0) throw new Error(`run -d: ${r.stderr}`);
  initPid = JSON.parse(env.ociRun("state", id).stdout).pid;
});

afterAll(() => {
  env.finish();
});

const NS = ["user", "ipc", "uts", "net", "pid", "cgroup", "time", "mnt"];

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/^\d+ \(.*\) [ZX]/.test(stat);
  } catch {
    return false;
  }
}

async function until(cond: () => boolean, ms = 5000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (cond()) return true;
    await Bun.sleep(20);
  }
  return cond();
}

describe("exec joins the container", () => {
  test("every namespace: /proc/self/ns links equal the init's", () => {
    const r = env.ociRun("exec", id, "sh", "-c", `for n in ${NS.join(" ")}; do echo "$n $(readlink /proc/self/ns/$n)"; done`);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const want = NS.map((n) => `${n} ${readlinkSync(`/proc/${initPid}/ns/${n}`)}`).join("\n");
    expect(r.stdout.trim()).toBe(want);
    // and it is not the host's (the test would pass vacuously otherwise)
    expect(readlinkSync(`/proc/${initPid}/ns/mnt`)).not.toBe(readlinkSync("/proc/self/ns/mnt"));
    expect(readlinkSync(`/proc/${initPid}/ns/pid`)).not.toBe(readlinkSync("/proc/self/ns/pid"));
  });

  test("a container with its own user namespace: joined first, the mapping applies", async () => {
    const b = await env.bundle("userns", {
      edit: (c) => {
        c.process.args = ["sleep", "1000"];
        c.linux.namespaces.push({ type: "user" });
        c.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
        c.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      },
    });
    const cid = env.id("userns");
    chmodSync(env.dir, 0o755); // mkdtemp's 0700 would keep the mapped root out of the bundle
    const run = env.ociRun("run", "--detach", "--bundle", b, cid);
    expect(run.stderr).toBe("");
    try {
      const pid = JSON.parse(env.ociRun("state", cid).stdout).pid as number;
      const r = env.ociRun("exec", cid, "sh", "-c", `for n in ${NS.join(" ")}; do echo "$n $(readlink /proc/self/ns/$n)"; done; id -u; cat /proc/self/uid_map`);
      expect(r.stderr).toBe("");
      const lines = r.stdout.trim().split("\n");
      expect(lines.slice(0, NS.length).join("\n")).toBe(NS.map((n) => `${n} ${readlinkSync(`/proc/${pid}/ns/${n}`)}`).join("\n"));
      expect(readlinkSync(`/proc/${pid}/ns/user`)).not.toBe(readlinkSync("/proc/self/ns/user"));
      expect(lines[NS.length]).toBe("0");
      expect(lines[NS.length + 1]!.trim().split(/\s+/)).toEqual(["0", "100000", "65536"]);
    } finally {
      env.ociRun("delete", "--force", cid);
    }
  });

  test("the container's cgroup, its root, and a pid inside its pid namespace", () => {
    const pidFile = `${env.dir}/cg.pid`;
    const r = env.ociRun("exec", "--detach", "--pid-file", pidFile, id, "sleep", "30");
    expect(r.code).toBe(0);
    const pid = Number(readFileSync(pidFile, "utf8"));
    try {
      expect(readFileSync(`/proc/${pid}/cgroup`, "utf8")).toBe(readFileSync(`/proc/${initPid}/cgroup`, "utf8"));
      expect(readlinkSync(`/proc/${pid}/root`)).toBe(readlinkSync(`/proc/${initPid}/root`));
      const nspid = /^NSpid:\s+(.*)$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]!.split(/\s+/);
      expect(nspid).toHaveLength(2);
      expect(Number(nspid[1])).toBeGreaterThan(1);
      // No host fd reached it: stdio only.
      expect(readdirSync(`/proc/${pid}/fd`).sort()).toEqual(["0", "1", "2"]);
    } finally {
      process.kill(pid, 9);
    }
  });

  test("exec takes its defaults from the config saved at create, not the bundle's current one (as runc)", async () => {
    const b = await env.bundle("saved", { edit: (c) => ((c.process.args = ["sleep", "1000"]), (c.process.env = ["PATH=/bin:/usr/bin", "WHICH=at-create"])) });
    const cid = env.id("saved");
    expect(env.ociRun("run", "-d", "-b", b, cid).code).toBe(0);
    const path = `${b}/config.json`;
    const config = JSON.parse(readFileSync(path, "utf8"));
    config.process.env = ["PATH=/bin:/usr/bin", "WHICH=edited-later"];
    writeFileSync(path, JSON.stringify(config));
    const r = env.ociRun("exec", cid, "sh", "-c", "echo $WHICH");
    expect(r.stdout).toBe("at-create\n");
    expect(env.ociRun("delete", "--force", cid).code).toBe(0);
  });

  test("--cwd that does not exist fails like runc (chdir to cwd …), and creates nothing", () => {
    const r = env.ociRun("exec", "--cwd", "/no/such/dir", id, "pwd");
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('chdir to cwd ("/no/such/dir") set in config.json');
    expect(r.stderr.toLowerCase()).toContain("no such file or directory");
    expect(env.ociRun("exec", id, "test", "-e", "/no").code).toBe(1);
  });

  test("user, groups, cwd and env from the flags", () => {
    const r = env.ociRun("exec", "--user", "1000:1001", "--additional-gids", "5", "-g", "7", "--cwd", "/", "--env", "FOO=bar", id, "sh", "-c", 'echo "$(id -u) $(id -g) $(id -G) $(pwd) $FOO"');
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("1000 1001 1001 5 7 / bar\n");
  });

  test("capabilities: the config's, plus --cap; --no-new-privs", () => {
    const caps = (...flags: string[]) => {
      const r = env.ociRun("exec", ...flags, id, "sh", "-c", "grep -E '^(CapEff|CapBnd|NoNewPrivs)' /proc/self/status");
      expect(r.code).toBe(0);
      return Object.fromEntries(r.stdout.trim().split("\n").map((l) => l.split(/:\s+/)));
    };
    const initStatus = readFileSync(`/proc/${initPid}/status`, "utf8");
    const initEff = /^CapEff:\s+(\S+)$/m.exec(initStatus)![1]!;
    const plain = caps();
    expect(plain.CapEff).toBe(initEff);
    expect(plain.NoNewPrivs).toBe(/^NoNewPrivs:\s+(\d)$/m.exec(initStatus)![1]!);
    const more = caps("--cap", "CAP_SYS_ADMIN", "--no-new-privs");
    const CAP_SYS_ADMIN = 1n << 21n;
    expect(BigInt(`0x${more.CapEff}`)).toBe(BigInt(`0x${initEff}`) | CAP_SYS_ADMIN);
    expect(more.NoNewPrivs).toBe("1");
    expect(BigInt(`0x${plain.CapEff}`) & CAP_SYS_ADMIN).toBe(0n);
  });

  test("--process FILE (what containerd and conmon pass)", () => {
    const file = `${env.dir}/process.json`;
    writeFileSync(file, JSON.stringify({ terminal: false, user: { uid: 65534, gid: 65534 }, args: ["sh", "-c", "echo $(id -u):$(id -g) $GREETING $(pwd)"], env: ["PATH=/bin:/usr/bin", "GREETING=hi"], cwd: "/tmp" }));
    const r = env.ociRun("exec", "--process", file, id);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("65534:65534 hi /tmp\n");
  });
});

describe("statuses and signals", () => {
  test("exit codes pass through; death by a signal is 128+N", () => {
    expect(env.ociRun("exec", id, "sh", "-c", "exit 7").code).toBe(7);
    expect(env.ociRun("exec", id, "true").code).toBe(0);
    expect(env.ociRun("exec", id, "sh", "-c", "kill -TERM $$").code).toBe(143);
    const missing = env.ociRun("exec", id, "no-such-command");
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("executable file not found");
  });

  test("a foreground exec forwards the signals it gets", async () => {
    const [cmd, ...pre] = toolCommand("oci-run");
    const marker = `${env.dir}/trap-ready`;
    const child = spawn(cmd!, [...pre, "--root", env.root, "exec", id, "sh", "-c", `trap 'exit 42' TERM; echo > /dev/null; touch /dev/shm/trap-ready; while :; do sleep 0.05; done`], { stdio: "ignore" });
    const done = new Promise<number>((resolve) => child.on("exit", (code, sig) => resolve(code ?? (sig ? 200 : -1))));
    const rootfsReady = () => env.ociRun("exec", id, "test", "-e", "/dev/shm/trap-ready").code === 0;
    expect(await until(rootfsReady, 10_000)).toBe(true);
    child.kill("SIGTERM");
    expect(await done).toBe(42);
    void marker;
    env.ociRun("exec", id, "rm", "-f", "/dev/shm/trap-ready");
  }, 20_000);

  test("20 concurrent execs", async () => {
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => env.ociRunAsync("exec", id, "sh", "-c", `echo n=${i}; exit ${i % 5}`)));
    results.forEach((r, i) => {
      expect(r.stderr).toBe("");
      expect(r.stdout).toBe(`n=${i}\n`);
      expect(r.code).toBe(i % 5);
    });
  }, 60_000);
});

describe("exec and the container's life", () => {
  test("exec'd processes are the container's: kill --all reaches them, ps lists them, they die with it", async () => {
    const b = await env.bundle("life", { edit: (c) => (c.process.args = ["sleep", "1000"]) });
    const cid = env.id("life");
    expect(env.ociRun("run", "--detach", "--bundle", b, cid).code).toBe(0);
    const pids: number[] = [];
    for (const n of [1, 2]) {
      const pidFile = `${env.dir}/life-${n}.pid`;
      expect(env.ociRun("exec", "--detach", "--pid-file", pidFile, cid, "sleep", "500").code).toBe(0);
      pids.push(Number(readFileSync(pidFile, "utf8")));
    }
    const listed = JSON.parse(env.ociRun("ps", "--format", "json", cid).stdout) as number[];
    for (const p of pids) expect(listed).toContain(p);
    // kill --all reaches an exec'd process …
    expect(env.ociRun("kill", "--all", cid, "STOP").code).toBe(0);
    expect(await until(() => /^State:\s+T/m.test(readFileSync(`/proc/${pids[0]}/status`, "utf8")))).toBe(true);
    expect(env.ociRun("kill", "--all", cid, "CONT").code).toBe(0);
    // … and when the init dies, the pid namespace takes every exec'd process with it.
    expect(env.ociRun("kill", cid, "KILL").code).toBe(0);
    expect(await until(() => pids.every((p) => !alive(p)))).toBe(true);
    expect(await until(() => JSON.parse(env.ociRun("state", cid).stdout).status === "stopped")).toBe(true);
    expect(env.ociRun("delete", cid).code).toBe(0);
  }, 30_000);

  test("exec into a stopped, a paused and an unknown container fails clearly", async () => {
    const b = await env.bundle("stopped", { edit: (c) => (c.process.args = ["true"]) });
    const cid = env.id("stopped");
    expect(env.ociRun("run", "--detach", "--bundle", b, cid).code).toBe(0);
    expect(await until(() => JSON.parse(env.ociRun("state", cid).stdout).status === "stopped")).toBe(true);
    const stopped = env.ociRun("exec", cid, "true");
    expect(stopped.code).toBe(1);
    expect(stopped.stderr).toBe(`oci-run: exec ${cid}: cannot exec in a stopped container\n`);
    env.ociRun("delete", "--force", cid);

    const rec = JSON.parse(readFileSync(`${env.root}/${id}/state.json`, "utf8")) as { cgroup: CgroupPlan };
    freeze(rec.cgroup);
    try {
      const paused = env.ociRun("exec", id, "true");
      expect(paused.code).toBe(1);
      expect(paused.stderr).toBe(`oci-run: exec ${id}: cannot exec in a paused container\n`);
    } finally {
      thaw(rec.cgroup);
    }
    const unknown = env.ociRun("exec", env.id("nope"), "true");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("does not exist");
  }, 30_000);
});

describe("attacks from inside the container during exec", () => {
  test("/proc/<exec pid>/exe never leads to the runtime; no fd of a joining process is readable; stray host fds never arrive", async () => {
    const b = await env.bundle("attack", {
      edit: (c) => {
        // pid 1 watches every other process while execs come and go: for each
        // one it tries the exe link, reading the binary, and its fds above 2.
        c.process.args = [
          "sh",
          "-c",
          [
            "while [ ! -e /dev/shm/stop ]; do",
            "  for d in /proc/[0-9]*; do",
            "    p=${d#/proc/}; [ $p = 1 ] && continue",
            "    e=$(readlink $d/exe 2>/dev/null) && [ -n \"$e\" ] && [ \"$e\" != /bin/busybox ] && echo \"EXE $p $e\" >> /dev/shm/found",
            "    for f in $d/fd/*; do n=${f##*/}; case $n in 0|1|2|'*') ;; *) l=$(readlink $f 2>/dev/null) && echo \"FD $p $n $l\" >> /dev/shm/found ;; esac; done",
            "    c=$(tr '\\0' ' ' < $d/cmdline 2>/dev/null); case \"$c\" in *oci-init*|*memfd*) echo \"SEEN $p $c\" >> /dev/shm/seen ;; esac",
            "  done",
            "done",
          ].join("\n"),
        ];
      },
    });
    const cid = env.id("attack");
    expect(env.ociRun("run", "--detach", "--bundle", b, cid).code).toBe(0);
    // Host fds the caller holds open without close-on-exec: they must never reach the container.
    const stray = openSync(`${env.dir}/host-secret`, "w");
    try {
      const [cmd, ...pre] = toolCommand("oci-run");
      for (let round = 0; round < 15; round++) {
        const runs = Array.from({ length: 4 }, () => {
          const c = spawn(cmd!, [...pre, "--root", env.root, "exec", cid, "sleep", "0.02"], { stdio: ["ignore", "ignore", "ignore", stray, stray] });
          return new Promise<number>((resolve) => c.on("exit", (code) => resolve(code ?? -1)));
        });
        expect(await Promise.all(runs)).toEqual([0, 0, 0, 0]);
      }
    } finally {
      closeSync(stray);
    }
    expect(JSON.parse(env.ociRun("state", cid).stdout).status).toBe("running"); // the attacker kept sweeping
    // Control: a container process that does hold an fd above 2 is found by the same sweep.
    expect(env.ociRun("exec", "--detach", cid, "sh", "-c", "exec 5</etc/passwd; sleep 20").code).toBe(0);
    // Read from the host (an exec'd `cat` would itself hold the file as fd 3 for the sweep to see).
    const attacker = JSON.parse(env.ociRun("state", cid).stdout).pid as number;
    const readFound = () => (existsSync(`/proc/${attacker}/root/dev/shm/found`) ? readFileSync(`/proc/${attacker}/root/dev/shm/found`, "utf8") : "").trim().split("\n").filter(Boolean);
    let found = readFound();
    for (let i = 0; i < 100 && !found.some((l) => / 5 \/etc\/passwd$/.test(l)); i++, await Bun.sleep(100)) found = readFound();
    expect(env.ociRun("exec", cid, "touch", "/dev/shm/stop").code).toBe(0); // the attacker (pid 1) ends
    expect(found.filter((l) => / 5 \/etc\/passwd$/.test(l)).length).toBeGreaterThan(0);
    expect(found.filter((l) => !/ 5 \/etc\/passwd$/.test(l))).toEqual([]);
    env.ociRun("delete", "--force", cid);
    expect(existsSync(`${env.root}/${cid}`)).toBe(false);
  }, 120_000);

  test("stray host fds of the caller never arrive; --preserve-fds passes exactly the ones asked for", async () => {
    const preserved = `${env.dir}/preserved`;
    writeFileSync(preserved, "");
    const keep = openSync(preserved, "r");
    const stray = openSync(`${env.dir}/host-secret-2`, "w");
    const pidFile = `${env.dir}/fds.pid`;
    try {
      const [cmd, ...pre] = toolCommand("oci-run");
      const c = spawn(cmd!, [...pre, "--root", env.root, "exec", "--detach", "--pid-file", pidFile, "--preserve-fds", "1", id, "sleep", "30"], { stdio: ["ignore", "ignore", "ignore", keep, stray] });
      expect(await new Promise<number>((resolve) => c.on("exit", (code) => resolve(code ?? -1)))).toBe(0);
    } finally {
      closeSync(keep);
      closeSync(stray);
    }
    const pid = Number(readFileSync(pidFile, "utf8"));
    try {
      expect(readdirSync(`/proc/${pid}/fd`).sort()).toEqual(["0", "1", "2", "3"]);
      expect(readlinkSync(`/proc/${pid}/fd/3`)).toBe(preserved);
    } finally {
      process.kill(pid, 9);
    }
  });
});
