/**
 * Spawning native/oci-init and speaking its sync protocol.
 *
 *   fd 3 of oci-init: a unix stream socket (Bun's stdio "pipe" beyond index 2).
 *   caller → init: u32 LE length + encodePlan(plan) bytes (native/PLAN-FORMAT.md)
 *   init → caller: JSON lines {"type":"pid","pid":N} (host pid of the container
 *                  init), then {"type":"ready"} or {"type":"error",op,opName,errno,message}.
 *                  A "sync" op sends {"type":"sync","point":…} and waits for one line back
 *                  ({"type":"continue","states":{…}} or {"type":"abort","message":…}): see
 *                  `onSync`. A "console" op sends {"type":"console","name":"/dev/pts/N"}
 *                  with the pty master attached (SCM_RIGHTS): see `onConsole`.
 *   Fds to preserve are passed at 4, 5, … and arrive in the container at 3, 4, ….
 *   stage0 "exit": oci-init exits 0 after ready, 1 after an error.
 *   stage0 "wait": oci-init exits with the container's status (128+signal).
 */
import { closeSync, writeSync } from "node:fs";
import type { Subprocess } from "bun";
import { framePlan, type Plan } from "@oci-tools/plan";
import { nativePath } from "./native-path.ts";

export interface InitErrorMessage {
  readonly type: "error";
  /** Index of the failing op, -1 for a step outside the ops (setns, clone, exec lookup, …). */
  readonly op: number;
  readonly opName: string;
  readonly errno: string;
  readonly message: string;
}

/** Where a "sync" op pauses stage 1 (packages/plan types.ts). */
export type SyncPoint = "createRuntime";

/**
 * The caller's answer to a sync point: go on (with the state JSON the later
 * "hook" ops give their hooks on stdin, by hook list name), or fail the op
 * with `abort` as its error message.
 */
export type SyncAnswer =
  | { readonly states?: Readonly<Record<string, string>> }
  | { readonly abort: string };

export type InitMessage =
  | { readonly type: "pid"; readonly pid: number }
  | { readonly type: "ready" }
  | { readonly type: "sync"; readonly point: SyncPoint }
  | { readonly type: "console"; readonly name: string }
  | InitErrorMessage;

type StdioTarget = "inherit" | "pipe" | "ignore" | number;

export interface RunInitOptions {
  /** stdin, stdout, stderr of oci-init (and so of the container). Default: inherit all. */
  readonly stdio?: readonly [StdioTarget, StdioTarget, StdioTarget];
  /** Host fds handed to the container as 3, 4, … (plan.process.preserveFds must match). */
  readonly preserveFds?: readonly number[];
  /** The oci-init binary (default nativePath("oci-init")). */
  readonly initPath?: string;
  /** Environment of oci-init itself (not the container's). */
  readonly env?: Record<string, string | undefined>;
  /**
   * Called when stage 1 reaches a "sync" op (e.g. "createRuntime": run the
   * prestart/createRuntime hooks now). Stage 1 waits for the answer. `info.pid`
   * is the container init's host pid (for the hooks' state). Without it,
   * runInit answers continue (no states); a throw or rejection answers abort
   * with the error's message.
   */
  readonly onSync?: (point: SyncPoint, info: { readonly pid: number | undefined }) => SyncAnswer | Promise<SyncAnswer>;
  /**
   * Called with the pty master (an fd owned by the callee from then on,
   * close-on-exec) and its name inside the container ("/dev/pts/0") when a
   * "console" op ran. Required when the plan has a console op (runInit
   * throws a TypeError before spawning otherwise: a pty nobody holds hangs
   * up, and the container would fail or not depending on timing). Must not
   * throw (a throw is swallowed and the fd closed). Plans with a console op read the
   * sync channel through libocisys (koffi, recvmsg with SCM_RIGHTS); others
   * never load koffi.
   */
  readonly onConsole?: (masterFd: number, name: string) => void | Promise<void>;
}

export interface InitRun {
  /** The oci-init (stage 0) process. */
  readonly proc: Subprocess<"pipe" | "inherit" | "ignore", "pipe" | "inherit" | "ignore", "pipe" | "inherit" | "ignore">;
  /** Host pid of the container init, once stage 0 reported it. */
  readonly pid: number | undefined;
  /** Stage 1 reached the end of its ops (it now waits on the exec fifo or execs). */
  readonly ready: boolean;
  /** The first error reported, if any. */
  readonly error: InitErrorMessage | undefined;
  /** Stage 0's exit status (128+signal when killed). */
  readonly exited: Promise<number>;
  /** Every message so far; later ones (an exec failure after ready) are appended until EOF. */
  readonly messages: InitMessage[];
  /**
   * Resolves at EOF of the sync channel (all init processes exec'd or exited);
   * for plans with a console op, also once stage 0 exited after ready/error
   * (see README: the worker-thread reader must not hold a created container's caller).
   */
  readonly closed: Promise<void>;
}

function writeAll(fd: number, bytes: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    let off = 0;
    const step = (): void => {
      try {
        while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
        resolve();
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "EAGAIN") setTimeout(step, 1);
        else reject(e);
      }
    };
    step();
  });
}

/** Spawns oci-init, sends the plan, and resolves once the init is ready or failed. */
export async function runInit(plan: Plan, opts: RunInitOptions = {}): Promise<InitRun> {
  const framed = framePlan(plan);
  const hasConsole = plan.ops.some((op) => op.op === "console");
  if (hasConsole && !opts.onConsole) throw new TypeError("runInit: the plan has a console op but no onConsole receives the pty master");
  const stdio = opts.stdio ?? ["inherit", "inherit", "inherit"];
  const preserve = opts.preserveFds ?? [];
  const proc = Bun.spawn([opts.initPath ?? nativePath("oci-init")], {
    stdio: [...stdio, "pipe", ...preserve] as never,
    env: (opts.env ?? process.env) as Record<string, string>,
  });
  const exited = proc.exited.then(() => (proc.signalCode ? 128 + signalNumber(proc.signalCode) : (proc.exitCode ?? 1)));
  let stage0Gone = false;
  void exited.then(() => (stage0Gone = true));
  const sync = (proc.stdio as unknown as unknown[])[3] as number;
  const messages: InitMessage[] = [];
  const state: { pid?: number; ready: boolean; error?: InitErrorMessage } = { ready: false };
  let settle: () => void = () => {};
  const settled = new Promise<void>((r) => (settle = r));
  const closed = (async () => {
    await writeAll(sync, framed).catch(() => {}); // a dead init shows up as EOF below
    // Stage 0 gone and stage 1 past ready/error: only an exec failure could still come, and the
    // worker-thread wait must not keep the caller's process alive until the container starts.
    const settledAndGone = () => stage0Gone && (state.ready || state.error !== undefined);
    const chunks = hasConsole ? await nativeChunks(sync, settledAndGone) : streamChunks(sync);
    const decoder = new TextDecoder();
    let pending = "";
    let consoleFd = -1;
    try {
      for await (const chunk of chunks) {
        if (chunk.fd >= 0) {
          if (consoleFd >= 0) closeQuietly(consoleFd); // one console per plan: never leak a second fd
          consoleFd = chunk.fd;
        }
        pending += decoder.decode(chunk.bytes, { stream: true });
        let nl: number;
        while ((nl = pending.indexOf("\n")) >= 0) {
          const line = pending.slice(0, nl);
          pending = pending.slice(nl + 1);
          if (!line) continue;
          const msg = JSON.parse(line) as InitMessage;
          messages.push(msg);
          if (msg.type === "pid") state.pid = msg.pid;
          else if (msg.type === "ready") (state.ready = true), settle();
          else if (msg.type === "sync") await answerSync(sync, msg.point, state.pid, opts.onSync);
          else if (msg.type === "console") {
            const fd = consoleFd;
            consoleFd = -1;
            await handConsole(fd, msg.name, opts.onConsole);
          } else if (!state.error) (state.error = msg), settle();
        }
      }
    } finally {
      if (consoleFd >= 0) closeQuietly(consoleFd);
    }
    settle();
  })();
  // Ready/error, or EOF, or stage 0 exiting without a word: whichever comes first.
  await Promise.race([settled, exited.then(() => Promise.race([closed, Bun.sleep(200)]))]);
  return {
    proc,
    get pid() {
      return state.pid;
    },
    get ready() {
      return state.ready;
    },
    get error() {
      return state.error;
    },
    exited,
    messages,
    closed,
  } as InitRun;
}

interface Chunk {
  readonly bytes: Uint8Array;
  readonly fd: number;
}

/** The sync socket read by Bun (no fd passing: an SCM_RIGHTS fd would be dropped). */
async function* streamChunks(sync: number): AsyncGenerator<Chunk> {
  const reader = Bun.file(sync).stream().getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    yield { bytes: value, fd: -1 };
  }
}

/**
 * The sync socket read with recvmsg through libocisys, keeping fds that ride
 * on messages. Waits in slices of 200 ms so it can give up once `done()`
 * says nothing more is worth waiting for.
 */
async function nativeChunks(sync: number, done: () => boolean): Promise<AsyncGenerator<Chunk>> {
  const { recvMessage } = await import("./ffi.ts");
  return (async function* () {
    for (;;) {
      let got: Chunk | undefined;
      try {
        got = await recvMessage(sync, 65536, 200);
      } catch {
        return; // ECONNRESET and friends: the init is gone, same as EOF
      }
      if (!got) {
        if (done()) return;
        continue;
      }
      if (got.bytes.length === 0) {
        if (got.fd >= 0) closeQuietly(got.fd);
        return;
      }
      yield got;
    }
  })();
}

async function answerSync(sync: number, point: SyncPoint, pid: number | undefined, onSync: RunInitOptions["onSync"]): Promise<void> {
  let answer: SyncAnswer = {};
  try {
    if (onSync) answer = await onSync(point, { pid });
  } catch (e) {
    answer = { abort: e instanceof Error ? e.message : String(e) };
  }
  const reply = "abort" in answer ? { type: "abort", message: String(answer.abort) } : { type: "continue", ...(answer.states ? { states: answer.states } : {}) };
  await writeAll(sync, new TextEncoder().encode(`${JSON.stringify(reply)}\n`)).catch(() => {}); // a dead init shows up as EOF
}

async function handConsole(fd: number, name: string, onConsole: RunInitOptions["onConsole"]): Promise<void> {
  if (fd < 0) return; // the line came without its fd (cannot happen with native's single sendmsg)
  if (!onConsole) return closeQuietly(fd); // refused up front; kept for type narrowing
  try {
    await onConsole(fd, name);
  } catch {
    closeQuietly(fd);
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
}

const SIGNALS: Record<string, number> = {
  SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGTRAP: 5, SIGABRT: 6, SIGBUS: 7, SIGFPE: 8, SIGKILL: 9,
  SIGUSR1: 10, SIGSEGV: 11, SIGUSR2: 12, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15, SIGCHLD: 17, SIGCONT: 18,
  SIGSTOP: 19, SIGTSTP: 20, SIGTTIN: 21, SIGTTOU: 22, SIGXCPU: 24, SIGXFSZ: 25, SIGSYS: 31,
};

function signalNumber(sig: string | number): number {
  return typeof sig === "number" ? sig : (SIGNALS[sig] ?? 0);
}
