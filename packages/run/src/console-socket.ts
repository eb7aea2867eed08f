/**
 * Where a container's pty master goes (process.terminal), decided before
 * anything is created so a bad combination fails with nothing to clean up:
 *
 *   --console-socket PATH (create, run -d, exec -d): connect to the unix
 *     socket first (a missing or wrong path fails here), then send the master
 *     with SCM_RIGHTS once oci-init hands it over, and close our copies. The
 *     payload is what runc 1.1 sends, the master's name "/dev/ptmx" (runc's
 *     recvtty, conmon and containerd's shim read the fd and ignore the name).
 *   foreground (run, exec without -d): keep the master for terminal.ts to
 *     proxy; stdin must be a terminal.
 *
 * runc's rules and wording: a detached terminal needs a console socket, and a
 * console socket needs a detached terminal.
 */
import { closeSync, statSync } from "node:fs";
import { isatty } from "node:tty";
import { ToolError } from "@oci-tools/cli";

/** What the console message carries on the console socket (runc: pty.Name() of the master). */
export const CONSOLE_SOCKET_PAYLOAD = "/dev/ptmx";

export interface ConsoleHandle {
  readonly kind: "socket" | "foreground";
  /** For runInit's onConsole: takes ownership of the master. */
  onConsole(masterFd: number, name: string): void;
  /** The master (foreground only), once oci-init sent it; ours to close. */
  readonly master: number | undefined;
  /** Why the master could not be passed on (the receiver went away), if it could not. */
  readonly error: string | undefined;
  /** Closes whatever is still held (on failure paths). */
  close(): void;
}

export interface ConsoleRequest {
  /** "create", "run", "exec": the first word of error messages. */
  readonly verb: string;
  readonly id: string;
  readonly terminal: boolean;
  readonly consoleSocket: string | undefined;
  /** The caller returns before the process ends (create, run -d, exec -d). */
  readonly detach: boolean;
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    /* already closed */
  }
}

/** Checks the combination and opens what it needs; undefined when the process has no terminal. */
export async function openConsole(r: ConsoleRequest): Promise<ConsoleHandle | undefined> {
  const what = `${r.verb} ${r.id}`;
  if (r.consoleSocket !== undefined && r.consoleSocket !== "" && (!r.detach || !r.terminal)) {
    throw new ToolError(`${what}: cannot use console socket if oci-run will not detach or allocate tty`);
  }
  if (!r.terminal) return undefined;
  if (r.detach) {
    if (!r.consoleSocket) throw new ToolError(`${what}: cannot allocate tty if oci-run will detach without setting console socket`);
    return socketConsole(what, r.consoleSocket);
  }
  if (!isatty(0)) {
    throw new ToolError(`${what}: process.terminal is true but stdin is not a terminal (run it from a terminal, or use --detach with --console-socket)`);
  }
  return foregroundConsole();
}

async function socketConsole(what: string, path: string): Promise<ConsoleHandle> {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ToolError(`${what}: console socket ${path}: ${code === "ENOENT" ? "no such file or directory" : code}`);
  }
  if (!st.isSocket()) throw new ToolError(`${what}: console socket ${path}: not a socket`);
  const { unixConnect } = await import("@oci-tools/sys");
  let sock: number;
  try {
    sock = unixConnect(path);
  } catch (e) {
    const code = (e as { code?: string }).code ?? String(e);
    throw new ToolError(`${what}: console socket ${path}: connect: ${code === "ECONNREFUSED" ? "connection refused" : code}`);
  }
  const { sendFd } = await import("@oci-tools/sys");
  let error: string | undefined;
  let open = true;
  return {
    kind: "socket",
    master: undefined,
    get error() {
      return error;
    },
    onConsole(masterFd) {
      try {
        sendFd(sock, masterFd, CONSOLE_SOCKET_PAYLOAD);
      } catch (e) {
        error = `console socket ${path}: send the pty master: ${(e as { code?: string }).code ?? String(e)}`;
      } finally {
        closeQuietly(masterFd);
        closeQuietly(sock);
        open = false;
      }
    },
    close() {
      if (open) closeQuietly(sock);
      open = false;
    },
  };
}

function foregroundConsole(): ConsoleHandle {
  let master: number | undefined;
  return {
    kind: "foreground",
    error: undefined,
    get master() {
      return master;
    },
    onConsole(masterFd) {
      if (master !== undefined) closeQuietly(master);
      master = masterFd;
    },
    close() {
      if (master !== undefined) closeQuietly(master);
      master = undefined;
    },
  };
}
