/**
 * stdout/stderr by write(2) instead of process.stdout/stderr. Touching
 * process.stdout builds Node's stream machinery: measured on the project
 * machine (Bun 1.4.4, compiled with --bytecode), a binary that prints "{}" via
 * process.stdout.write takes ~17 ms, via fs.writeSync(1) ~5 ms; the exit-only
 * binary ~3 ms. The output is small and written once, so a blocking write is right.
 */
import { writeSync } from "node:fs";
import type { CommandIO } from "./types.ts";

function writeAll(fd: number, text: string): void {
  const bytes = Buffer.from(text, "utf8");
  let offset = 0;
  while (offset < bytes.length) {
    try {
      offset += writeSync(fd, bytes, offset, bytes.length - offset);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "EAGAIN") {
        // stdout inherited as a non-blocking pipe: wait until the reader catches up.
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
        continue;
      }
      // EPIPE: the reader went away (`| head`); like a tool killed by SIGPIPE, stop quietly.
      if (code === "EPIPE") process.exit(fd === 1 ? 141 : 1);
      throw error;
    }
  }
}

export const fastStdio: CommandIO = {
  stdout: (text) => writeAll(1, text),
  stderr: (text) => writeAll(2, text),
};
