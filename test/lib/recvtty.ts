/**
 * recvtty: the project's console-socket receiver (like runc's contrib recvtty).
 *
 *   bun test/lib/recvtty.ts [--mode proxy|null] [--info FILE] SOCKET
 *
 * Listens on the unix socket SOCKET, accepts one connection, receives the pty
 * master a runtime sends with SCM_RIGHTS (`--console-socket SOCKET`), writes
 * {"name": <the message payload>, "isTty": …, "payloadBytes": N} to --info (or
 * stderr), then
 *   proxy: copies its stdin to the master and the master to its stdout (so a
 *          test can drive the container's shell through pipes);
 *   null:  reads and discards the master's output (keeps the terminal open).
 * It exits 0 when the pty hangs up (every slave fd closed: EIO), removing
 * SOCKET. "ready\n" on stderr means the socket is listening.
 *
 * Also importable: `startRecvtty(socket, opts)` spawns it and returns handles
 * to drive it from a test.
 */
import { closeSync, existsSync, fstatSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { isatty } from "node:tty";
import { join } from "node:path";
import type { Subprocess } from "bun";

const here = import.meta.dir;

async function main(argv: string[]): Promise<number> {
  let mode: "proxy" | "null" = "proxy";
  let info: string | undefined;
  let socketPath: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--mode") mode = argv[++i] === "null" ? "null" : "proxy";
    else if (a === "--info") info = argv[++i];
    else socketPath = a;
  }
  if (!socketPath) {
    process.stderr.write("usage: recvtty [--mode proxy|null] [--info FILE] SOCKET\n");
    return 2;
  }
  const { unixListen, unixAccept } = await import(join(here, "../../packages/sys/src/index.ts"));
  const { recvFd } = await import(join(here, "../../packages/sys/src/index.ts"));
  if (existsSync(socketPath)) rmSync(socketPath);
  const listener: number = unixListen(socketPath, 1);
  process.stderr.write("ready\n");
  const conn: number = await unixAccept(listener);
  const { fd: master, payload } = recvFd(conn, 4096) as { fd: number; payload: Uint8Array };
  closeSync(conn);
  closeSync(listener);
  rmSync(socketPath, { force: true });
  const name = new TextDecoder().decode(payload);
  const st = fstatSync(master);
  const report = JSON.stringify({ name, payloadBytes: payload.length, isTty: isatty(master), isCharDevice: st.isCharacterDevice() });
  if (info) writeFileSync(info, `${report}\n`);
  else process.stderr.write(`${report}\n`);

  if (mode === "proxy") void pumpStdin(master);
  // The master reads EIO once every slave fd is closed: the container's terminal is gone.
  // (Bun.file(fd).stream() preads, which a pty refuses with ESPIPE; tty.ReadStream polls.)
  const { ReadStream } = await import("node:tty");
  const stream = new ReadStream(master);
  await new Promise<void>((resolve) => {
    stream.on("data", (chunk: Buffer) => {
      if (mode === "proxy") writeAllSync(1, chunk);
    });
    stream.on("error", () => resolve());
    stream.on("end", () => resolve());
    stream.on("close", () => resolve());
  });
  return 0;
}

function writeAllSync(fd: number, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) {
    try {
      off += writeSync(fd, bytes, off, bytes.length - off);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EAGAIN") Bun.sleepSync(1);
      else throw e;
    }
  }
}

async function pumpStdin(master: number): Promise<void> {
  const reader = Bun.stdin.stream().getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    try {
      writeAllSync(master, value);
    } catch {
      return;
    }
  }
}

export interface Recvtty {
  readonly proc: Subprocess<"pipe", "pipe", "pipe">;
  /** Everything the pty printed so far (proxy mode). */
  output(): string;
  /** Resolves once the output (after `from` chars) matches; rejects after timeoutMs with the output. */
  waitFor(pattern: string | RegExp, timeoutMs?: number, from?: number): Promise<string>;
  /** Types into the pty. */
  send(text: string): void;
  /** The JSON report (name, payloadBytes, isTty) once the fd arrived. */
  info(): Promise<{ name: string; payloadBytes: number; isTty: boolean; isCharDevice: boolean }>;
  /** Resolves with recvtty's exit status. */
  readonly exited: Promise<number>;
  kill(): void;
}

/** Spawns recvtty on `socket` and resolves once it listens. */
export async function startRecvtty(socket: string, o: { mode?: "proxy" | "null" } = {}): Promise<Recvtty> {
  const bun = join(here, "../../node_modules/.bin/bun");
  const proc = Bun.spawn([bun, join(here, "recvtty.ts"), "--mode", o.mode ?? "proxy", socket], { stdin: "pipe", stdout: "pipe", stderr: "pipe" });
  let out = "";
  let err = "";
  const wake = new Set<() => void>();
  const pump = async (stream: ReadableStream<Uint8Array>, add: (s: string) => void) => {
    const dec = new TextDecoder();
    for await (const chunk of stream) {
      add(dec.decode(chunk, { stream: true }));
      for (const w of [...wake]) w();
    }
  };
  void pump(proc.stdout, (s) => (out += s));
  void pump(proc.stderr, (s) => (err += s));
  const until = (cond: () => boolean, what: () => string, timeoutMs: number) =>
    new Promise<void>((resolve, reject) => {
      if (cond()) return resolve();
      const check = () => {
        if (!cond()) return;
        wake.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        wake.delete(check);
        reject(new Error(`recvtty: timed out waiting for ${what()}; stdout so far: ${JSON.stringify(out)}; stderr: ${JSON.stringify(err)}`));
      }, timeoutMs);
      wake.add(check);
    });
  await until(() => err.includes("ready\n"), () => "ready", 10_000);
  return {
    proc,
    output: () => out,
    async waitFor(pattern, timeoutMs = 10_000, from = 0) {
      const match = () => (typeof pattern === "string" ? out.slice(from).includes(pattern) : pattern.test(out.slice(from)));
      await until(match, () => String(pattern), timeoutMs);
      return out;
    },
    send(text) {
      proc.stdin.write(text);
      proc.stdin.flush();
    },
    async info() {
      await until(() => /^\{.*\}$/m.test(err), () => "the fd", 10_000);
      return JSON.parse(/^\{.*\}$/m.exec(err)![0]);
    },
    exited: proc.exited,
    kill: () => proc.kill(9),
  };
}

if (import.meta.main) process.exit(await main(process.argv.slice(2)));
