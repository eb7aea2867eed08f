/**
 * Spawning native/oci-init and speaking its sync protocol (native/PLAN-FORMAT.md):
 * we write `u32 LE length` + the encoded Plan on its fd 3 (a unix stream
 * socket), it answers with JSON lines {"type":"pid"|"ready"|"error", …}.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { constants } from "node:os";
import { dirname, join } from "node:path";
import type { Socket } from "node:net";

export type SyncMessage =
  | { readonly type: "pid"; readonly pid: number }
  | { readonly type: "ready" }
  | { readonly type: "error"; readonly op: number; readonly opName?: string; readonly errno?: string; readonly message: string };

export class InitError extends Error {
  constructor(
    message: string,
    readonly detail?: Extract<SyncMessage, { type: "error" }>,
  ) {
    super(message);
  }
}

/** Where oci-init is: $OCI_INIT, next to a compiled oci-run, or the workspace build. */
export function initPath(): string {
  const env = process.env.OCI_INIT;
  if (env) return env;
  const candidates = [
    join(dirname(process.execPath), "oci-init"),
    join(import.meta.dir, "../../../dist/bin/oci-init"),
    join(import.meta.dir, "../../../native/build/oci-init"),
  ];
  for (const c of candidates) if (existsSync(c)) return c;
  throw new InitError(`oci-init not found (looked in ${candidates.join(", ")}; set OCI_INIT)`);
}

export interface StartedInit {
  readonly child: ChildProcess;
  /** The container init's pid as the host sees it. */
  readonly pid: number;
  /** Resolves with oci-init's (stage 0's) exit status: 128+N when killed by signal N. */
  readonly exited: Promise<number>;
}

/**
 * Spawns oci-init, sends the frame, and resolves once it reported the pid and
 * "ready". `onPid` runs as soon as the pid is known (create records it so a
 * crash from then on is cleanable even without the cgroup).
 */
/** `frame` is framePlan()'s output (u32 LE length + encoded plan). */
export function spawnInit(frame: Uint8Array, onPid: (pid: number) => void, extraFds: readonly number[] = []): Promise<StartedInit> {
  const path = initPath();
  const child = spawn(path, [], {
    // fd 3 is the sync socket; --preserve-fds come after it (native renumbers them to 3…).
    stdio: ["inherit", "inherit", "inherit", "pipe", ...extraFds],
    detached: false,
  });
  const exited = new Promise<number>((resolve) => {
    child.once("exit", (code, signal) => {
      if (code !== null) resolve(code);
      else resolve(128 + (signal ? (constants.signals as Record<string, number>)[signal]! : 0));
    });
  });
  const sock = child.stdio[3] as Socket;
  return new Promise<StartedInit>((resolve, reject) => {
    let pid = 0;
    let buffered = "";
    let done = false;
    const fail = (e: Error) => {
      if (done) return;
      done = true;
      reject(e);
    };
    child.once("error", (e) => fail(new InitError(`spawn ${path}: ${e.message}`)));
    sock.on("error", () => {});
    sock.on("data", (chunk: Buffer) => {
      buffered += chunk.toString("utf8");
      for (let nl = buffered.indexOf("\n"); nl >= 0; nl = buffered.indexOf("\n")) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line.trim() === "") continue;
        let msg: SyncMessage;
        try {
          msg = JSON.parse(line) as SyncMessage;
        } catch {
          fail(new InitError(`oci-init sent a malformed sync message: ${JSON.stringify(line.slice(0, 200))}`));
          return;
        }
        if (msg.type === "pid") {
          pid = msg.pid;
          onPid(pid);
        } else if (msg.type === "ready") {
          if (done) return;
          done = true;
          resolve({ child, pid, exited });
        } else if (msg.type === "error") {
          const where = msg.op >= 0 ? `op ${msg.op}${msg.opName ? ` (${msg.opName})` : ""}: ` : "";
          fail(new InitError(`${where}${msg.message}${msg.errno && !msg.message.includes(msg.errno) ? `: ${msg.errno}` : ""}`, msg));
        }
      }
    });
    sock.on("close", () => fail(new InitError("oci-init exited before the container was ready")));
    sock.write(frame);
  });
}
