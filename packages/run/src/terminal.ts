/**
 * A foreground terminal (`oci-run run` / `exec -t` without --detach): the
 * host's terminal talks to the container's pty master.
 *
 *   - the host terminal goes raw (no echo, no line editing, ^C is a byte for
 *     the container) and is restored on every way out: normal return, a
 *     throw, process.exit from anywhere (an "exit" handler, synchronous
 *     tcsetattr) — a SIGKILL is the one exception nobody can handle;
 *   - the file status flags of stdin (O_NONBLOCK, shared with the shell that
 *     started us) are put back as well, or that shell's next read fails;
 *   - the host's window size is copied to the master at start and on every
 *     SIGWINCH (the kernel then signals the container's foreground group);
 *   - input: stdin → master; output: master → stdout, drained until the pty
 *     hangs up (EIO) after the process exited, so the last lines are shown.
 */
import { createReadStream, writeSync } from "node:fs";
import { isatty } from "node:tty";

export interface TerminalSession {
  /** Waits for `exited`, drains the output, restores the terminal; resolves with the status. */
  finish(exited: Promise<number>): Promise<number>;
  /** Restores the host terminal now (idempotent). */
  restore(): void;
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) {
    try {
      off += writeSync(fd, bytes, off, bytes.length - off);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "EAGAIN") Bun.sleepSync(1);
      else throw e;
    }
  }
}

/** Connects the host terminal to `master` (which this takes ownership of). */
export async function attachTerminal(master: number): Promise<TerminalSession> {
  const sys = await import("@oci-tools/sys");
  const hostTty = isatty(0);
  let savedTermios: Uint8Array | undefined;
  let savedFlags: number | undefined;
  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    process.off("exit", restore);
    process.off("SIGWINCH", resize);
    try {
      if (savedTermios) sys.restoreTermios(0, savedTermios);
      if (savedFlags !== undefined) sys.setStatusFlags(0, savedFlags);
    } catch {
      /* the terminal went away */
    }
  };
  const resize = () => {
    try {
      const size = sys.getWinsize(0);
      if (size.rows > 0 && size.cols > 0) sys.setWinsize(master, size);
    } catch {
      /* not a terminal or master closed */
    }
  };
  if (hostTty) {
    savedFlags = sys.getStatusFlags(0);
    process.on("exit", restore); // registered before raw mode: no window without a way back
    savedTermios = sys.makeRaw(0);
    resize();
    process.on("SIGWINCH", resize);
  }

  // Output: until EIO (every slave fd closed) or the master is closed by us. Read by
  // blocking reads on the thread pool: Bun serves every tty.ReadStream from one
  // reader, so a second one (stdin below) would starve.
  const output = createReadStream("", { fd: master, highWaterMark: 16384 });
  const hungUp = new Promise<void>((resolve) => {
    output.on("data", (chunk: string | Buffer) => {
      try {
        writeAll(1, typeof chunk === "string" ? Buffer.from(chunk) : chunk);
      } catch {
        /* stdout closed: keep draining so the container does not block */
      }
    });
    output.on("error", () => resolve());
    output.on("end", () => resolve());
    output.on("close", () => resolve());
  });

  // Input: stdin → master, by thread-pool reads as well (a tty.ReadStream ends
  // for good when SIGWINCH interrupts its read).
  const input = hostTty ? createReadStream("", { fd: 0, autoClose: false, highWaterMark: 4096 }) : undefined;
  input?.on("data", (chunk: string | Buffer) => {
    try {
      writeAll(master, typeof chunk === "string" ? Buffer.from(chunk) : chunk);
    } catch {
      /* the pty is gone; finish() notices */
    }
  });
  input?.on("error", () => {});

  return {
    restore,
    async finish(exited) {
      try {
        const status = await exited;
        // The last output may still sit in the pty: drain it, but do not hang on a
        // grandchild that keeps the slave open.
        await Promise.race([hungUp, Bun.sleep(300)]);
        return status;
      } finally {
        input?.pause();
        restore(); // while fd 0 is still open
        input?.destroy();
        output.destroy(); // closes the master
      }
    },
  };
}
