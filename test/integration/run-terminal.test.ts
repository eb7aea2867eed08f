/**
 * process.terminal (issue 4): a person typing into the seed's `sh` through a
 * real terminal (tmux), the console socket round trip with the project's own
 * receiver (and the same bundle under runc), and bad input that must fail
 * clearly and leave nothing behind.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { TestEnv, type Result } from "../lib/container.ts";
import { seedBundle } from "../lib/seed.ts";
import { startRecvtty } from "../lib/recvtty.ts";
import { toolCommand } from "../lib/tools.ts";

let env: TestEnv;

beforeAll(() => {
  env = new TestEnv();
});

afterAll(() => {
  env.finish();
});

function setTerminal(bundle: string, edit: (c: Record<string, any>) => void = () => {}): void {
  const path = `${bundle}/config.json`;
  const c = JSON.parse(readFileSync(path, "utf8"));
  c.process.terminal = true;
  edit(c);
  writeFileSync(path, JSON.stringify(c, null, 2));
}

const shq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** A tmux server of our own (-S in the scratch dir), so a user's tmux is never touched; it exits with its last session. */
const tmuxSocket = () => `${env.dir}/tmux.sock`;

function tmux(...args: string[]): string {
  const r = spawnSync("tmux", ["-S", tmuxSocket(), ...args], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`tmux ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

async function waitForPane(session: string, pattern: RegExp, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let pane = "";
  while (Date.now() < deadline) {
    pane = tmux("capture-pane", "-p", "-t", session);
    if (pattern.test(pane)) return pane;
    await Bun.sleep(50);
  }
  throw new Error(`tmux pane never matched ${pattern}:\n${pane}`);
}

async function waitForFile(path: string, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (existsSync(path)) {
      const text = readFileSync(path, "utf8");
      if (text.endsWith("\n")) return text;
    }
    await Bun.sleep(50);
  }
  throw new Error(`${path} never appeared`);
}

/** stty -a without the size (the test resizes the window on purpose). */
const sttyModes = (text: string) => text.replace(/rows \d+; columns \d+;/, "");

describe("an interactive session through a real terminal (tmux)", () => {
  test("the seed's sh: hostname, $$ is 1, stty size follows a resize, exit 3 → host status 3, host terminal restored", async () => {
    const seed = await seedBundle(env, "seed-tty", ["sh"]);
    setTerminal(seed.bundle);
    const id = env.id("tty");
    const session = `${id}-tmux`;
    const out = `${env.dir}/tmux`;
    const argv = [...toolCommand("oci-run"), "--root", env.root, "run", "--bundle", seed.bundle, id].map(shq).join(" ");
    const script = `stty -a > ${out}.before; ${argv}; echo "status=$?" > ${out}.status; stty -a > ${out}.after`;
    tmux("new-session", "-d", "-s", session, "-x", "100", "-y", "30", "bash", "--norc", "--noprofile");
    try {
      tmux("send-keys", "-t", session, script, "Enter");
      await waitForPane(session, /^\/ #\s*$/m); // capture-pane trims the prompt's trailing space
      tmux("send-keys", "-t", session, "hostname", "Enter");
      await waitForPane(session, /hostname\s*\n\s*runc\s*\n/);
      tmux("send-keys", "-t", session, "echo pid=$$", "Enter");
      await waitForPane(session, /\npid=1\s*\n/);
      tmux("send-keys", "-t", session, "stty size", "Enter");
      await waitForPane(session, /\n30 100\s*\n/);
      tmux("resize-window", "-t", session, "-x", "90", "-y", "25");
      await Bun.sleep(300); // SIGWINCH reaches oci-run, which resizes the pty
      tmux("send-keys", "-t", session, "clear; stty size", "Enter");
      await waitForPane(session, /^25 90\s*$/m);
      tmux("send-keys", "-t", session, "exit 3", "Enter");
      expect(await waitForFile(`${out}.status`)).toBe("status=3\n");
      const after = await waitForFile(`${out}.after`);
      expect(sttyModes(after)).toBe(sttyModes(readFileSync(`${out}.before`, "utf8")));
      expect(after).toContain("icanon"); // not left raw (raw mode shows -icanon)
      expect(after).not.toContain("-icanon");
      // The host shell still reads its terminal (no O_NONBLOCK left behind): it runs the next line.
      tmux("send-keys", "-t", session, `read -r line && echo "read=$line" > ${out}.read`, "Enter");
      await Bun.sleep(200);
      tmux("send-keys", "-t", session, "typed", "Enter");
      expect(await waitForFile(`${out}.read`)).toBe("read=typed\n");
      expect(existsSync(`${env.root}/${id}`)).toBe(false); // run deleted it
    } finally {
      spawnSync("tmux", ["-S", tmuxSocket(), "kill-session", "-t", session]);
    }
  }, 60_000);
});

describe("the host terminal comes back on other ways out", () => {
  test("SIGTERM to oci-run is forwarded, and a container killed from outside: raw mode undone both times", async () => {
    const b = await env.bundle("tty-signals", {
      edit: (c) => ((c.process.terminal = true), (c.process.args = ["sh", "-c", "trap 'exit 9' TERM; echo ready; while :; do sleep 0.05; done"])),
    });
    const session = `${env.id("sig")}-tmux`;
    const out = `${env.dir}/sigtmux`;
    tmux("new-session", "-d", "-s", session, "-x", "80", "-y", "24", "bash", "--norc", "--noprofile");
    try {
      for (const [n, how] of [[1, "term"], [2, "kill"]] as const) {
        const id = env.id(`sig${n}`);
        const argv = [...toolCommand("oci-run"), "--root", env.root, "run", "--bundle", b, id].map(shq).join(" ");
        tmux("send-keys", "-t", session, `clear; stty -a > ${out}${n}.before; ${argv}; echo "status=$?" > ${out}${n}.status; stty -a > ${out}${n}.after`, "Enter");
        // Started (so the pane was cleared before), then the trap is set once "ready" shows.
        for (let i = 0; i < 300 && !env.ociRun("state", id).stdout.includes('"running"'); i++) await Bun.sleep(20);
        await waitForPane(session, /^ready\s*$/m);
        if (how === "term") {
          const pids = spawnSync("pgrep", ["-f", ` run --bundle ${b} ${id}$`], { encoding: "utf8" }).stdout.trim().split("\n").filter(Boolean);
          expect(pids).toHaveLength(1); // oci-run itself
          process.kill(Number(pids[0]), "SIGTERM");
        }
        else expect(env.ociRun("kill", id, "KILL").code).toBe(0);
        expect(await waitForFile(`${out}${n}.status`)).toBe(how === "term" ? "status=9\n" : "status=137\n");
        expect(await waitForFile(`${out}${n}.after`)).toBe(readFileSync(`${out}${n}.before`, "utf8"));
      }
    } finally {
      spawnSync("tmux", ["-S", tmuxSocket(), "kill-session", "-t", session]);
    }
  }, 60_000);
});

describe("exec --tty in the foreground (tmux)", () => {
  test("a shell on a new pty of the container: not pid 1, exit 4 → host status 4, host terminal restored", async () => {
    const b = await env.bundle("exec-tty", { edit: (c) => (c.process.args = ["sleep", "600"]) });
    const id = env.id("exectty");
    expect(env.ociRun("run", "--detach", "--bundle", b, id).code).toBe(0);
    const session = `${id}-tmux`;
    const out = `${env.dir}/exectmux`;
    const argv = [...toolCommand("oci-run"), "--root", env.root, "exec", "--tty", id, "sh"].map(shq).join(" ");
    tmux("new-session", "-d", "-s", session, "-x", "80", "-y", "24", "bash", "--norc", "--noprofile");
    try {
      tmux("send-keys", "-t", session, `stty -a > ${out}.before; ${argv}; echo "status=$?" > ${out}.status; stty -a > ${out}.after`, "Enter");
      await waitForPane(session, /^\/ #\s*$/m);
      tmux("send-keys", "-t", session, "tty; echo pid=$$; stty size", "Enter");
      const pane = await waitForPane(session, /^24 80\s*$/m);
      expect(pane).toMatch(/^\/dev\/pts\/\d+\s*$/m);
      expect(Number(/pid=(\d+)/.exec(pane)![1])).toBeGreaterThan(1);
      tmux("send-keys", "-t", session, "exit 4", "Enter");
      expect(await waitForFile(`${out}.status`)).toBe("status=4\n");
      expect(await waitForFile(`${out}.after`)).toBe(readFileSync(`${out}.before`, "utf8"));
      expect(JSON.parse(env.ociRun("state", id).stdout).status).toBe("running"); // the container lives on
    } finally {
      spawnSync("tmux", ["-S", tmuxSocket(), "kill-session", "-t", session]);
      env.ociRun("delete", "--force", id);
    }
  }, 60_000);
});

const SESSION = "tty; echo pid=$$; hostname; ls -ln /dev/console | sed 's/ \\+/ /g' | cut -d' ' -f1,5,6; exit 3\n";

/** Drives a shell through a console socket: the lines it printed, the name the fd came with. */
async function consoleRoundTrip(create: (socket: string) => Result, start: () => Result, state: () => Result) {
  const socket = `${env.dir}/console-${Math.random().toString(36).slice(2)}.sock`;
  const rt = await startRecvtty(socket);
  try {
    const c = create(socket);
    expect(c.stderr).toBe("");
    expect(c.code).toBe(0);
    const info = await rt.info();
    expect(start().code).toBe(0);
    rt.send(SESSION);
    expect(await rt.exited).toBe(0); // the pty hung up: the shell exited
    const lines = rt.output().split(/\r?\n/).map((l) => l.replace(/\x1b\[[0-9;]*[a-zA-Z]/g, "").trim());
    let status = "";
    for (let i = 0; i < 50 && status !== "stopped"; i++, await Bun.sleep(20)) status = JSON.parse(state().stdout).status;
    return { info, lines, status };
  } finally {
    rt.kill();
  }
}

describe("--console-socket", () => {
  test("round trip with the project's receiver: the master arrives (SCM_RIGHTS), the shell runs on the container's pty", async () => {
    const b = await env.bundle("cs", { edit: (c) => ((c.process.terminal = true), (c.process.args = ["sh"])) });
    const id = env.id("cs");
    const r = await consoleRoundTrip(
      (s) => env.ociRun("create", "--bundle", b, "--console-socket", s, id),
      () => env.ociRun("start", id),
      () => env.ociRun("state", id),
    );
    expect(r.info).toEqual({ name: "/dev/ptmx", payloadBytes: 9, isTty: true, isCharDevice: true });
    expect(r.lines).toContain("/dev/pts/0");
    expect(r.lines).toContain("pid=1");
    expect(r.lines).toContain("runc");
    expect(r.lines).toContain("crw--w---- 136, 0"); // /dev/console is the pty (unix98 slave major 136)
    expect(r.status).toBe("stopped");
    expect(env.ociRun("delete", id).code).toBe(0);
  }, 30_000);

  test.skipIf(!Bun.which("runc"))("runc on the same bundle gives the same observable session", async () => {
    const b = await env.bundle("cs-cmp", { edit: (c) => ((c.process.terminal = true), (c.process.args = ["sh"])) });
    const id = env.id("cs-cmp");
    const ours = await consoleRoundTrip(
      (s) => env.ociRun("create", "--bundle", b, "--console-socket", s, id),
      () => env.ociRun("start", id),
      () => env.ociRun("state", id),
    );
    const theirs = await consoleRoundTrip(
      (s) => env.runc("create", "--bundle", b, "--console-socket", s, id),
      () => env.runc("start", id),
      () => env.runc("state", id),
    );
    env.ociRun("delete", "--force", id);
    env.runc("delete", "--force", id);
    expect(ours.info).toEqual(theirs.info);
    const observed = (lines: string[]) => lines.filter((l) => /^(\/dev\/pts\/\d+|pid=\d+|runc|c[rw-]{9} \d+, \d+)$/.test(l));
    expect(observed(ours.lines)).toEqual(observed(theirs.lines));
    expect(observed(ours.lines)).toHaveLength(4);
    expect(ours.status).toBe(theirs.status);
  }, 60_000);

  test("exec --tty --detach --console-socket: a second pty in the same devpts, the process is not pid 1", async () => {
    const b = await env.bundle("cs-exec", { edit: (c) => (c.process.args = ["sleep", "600"]) });
    const id = env.id("cs-exec");
    expect(env.ociRun("run", "--detach", "--bundle", b, id).code).toBe(0);
    const socket = `${env.dir}/exec.sock`;
    const rt = await startRecvtty(socket);
    try {
      const r = env.ociRun("exec", "--tty", "--detach", "--console-socket", socket, "--pid-file", `${env.dir}/exec.pid`, id, "sh");
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect((await rt.info()).isTty).toBe(true);
      rt.send("tty; echo pid=$$; exit 5\n");
      expect(await rt.exited).toBe(0);
      const out = rt.output();
      expect(out).toMatch(/\/dev\/pts\/\d+\r?\n/);
      expect(out).toMatch(/pid=(\d+)/);
      expect(Number(/pid=(\d+)/.exec(out)![1])).toBeGreaterThan(1);
      expect(Number(readFileSync(`${env.dir}/exec.pid`, "utf8"))).toBeGreaterThan(0);
    } finally {
      rt.kill();
      env.ociRun("delete", "--force", id);
    }
  }, 30_000);
});

/** Exit 1, one "oci-run: …" line containing `substring`, and no trace of `id`. */
function expectCleanFailure(r: Result, id: string, substring: string) {
  expect(r.stdout).toBe("");
  const lines = r.stderr.trimEnd().split("\n");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toStartWith("oci-run: ");
  expect(lines[0]).toContain(substring);
  expect(r.code).toBe(1);
  expect(existsSync(`${env.root}/${id}`)).toBe(false);
  expect(spawnSync("find", ["/sys/fs/cgroup", "-type", "d", "-name", id], { encoding: "utf8" }).stdout).toBe("");
  expect(spawnSync("pgrep", ["-f", id], { encoding: "utf8" }).stdout.trim()).toBe("");
}

describe("bad terminal input fails clearly and leaves nothing", () => {
  test("a console socket path that does not exist", async () => {
    const b = await env.bundle("bad-nosock", { edit: (c) => (c.process.terminal = true) });
    const id = env.id("nosock");
    expectCleanFailure(env.ociRun("create", "--bundle", b, "--console-socket", `${env.dir}/no-such.sock`, id), id, "no-such.sock: no such file or directory");
  });

  test("a console socket path that is not a socket", async () => {
    const b = await env.bundle("bad-notsock", { edit: (c) => (c.process.terminal = true) });
    const id = env.id("notsock");
    writeFileSync(`${env.dir}/plain-file`, "");
    expectCleanFailure(env.ociRun("create", "--bundle", b, "--console-socket", `${env.dir}/plain-file`, id), id, "plain-file: not a socket");
  });

  test("terminal: true, detached, without --console-socket (create and run -d)", async () => {
    const b = await env.bundle("bad-detached", { edit: (c) => (c.process.terminal = true) });
    const id = env.id("detached");
    const text = "cannot allocate tty if oci-run will detach without setting console socket";
    expectCleanFailure(env.ociRun("create", "--bundle", b, id), id, text);
    expectCleanFailure(env.ociRun("run", "--detach", "--bundle", b, id), id, text);
  });

  test("--console-socket for a container without a terminal", async () => {
    const b = await env.bundle("bad-noterm");
    const id = env.id("noterm");
    const socket = `${env.dir}/unused.sock`;
    const rt = await startRecvtty(socket, { mode: "null" });
    try {
      expectCleanFailure(env.ociRun("create", "--bundle", b, "--console-socket", socket, id), id, "cannot use console socket if oci-run will not detach or allocate tty");
    } finally {
      rt.kill();
    }
  });

  test("a foreground terminal without a tty on stdin", async () => {
    const b = await env.bundle("bad-notty", { edit: (c) => (c.process.terminal = true) });
    const id = env.id("notty");
    expectCleanFailure(env.ociRun("run", "--bundle", b, id), id, "process.terminal is true but stdin is not a terminal");
  });
});
