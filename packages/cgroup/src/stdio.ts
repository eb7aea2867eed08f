/**
 * stdout/stderr by write(2): touching process.stdout builds Node's stream
 * machinery, ~12 ms at startup of a compiled binary (measured by oci-spec,
 * see packages/spec/src/stdio.ts); oci-run's output is small and written once.
 */
import { writeSync } from "node:fs";
import type { CommandIO } from "@oci-tools/cli";

function writeAll(fd: number, text: string): void {
  const bytes = Buffer.from(text, "utf8");
  let offset = 0;
  while (offset < bytes.length) {
    try {
      offset += writeSync(fd, bytes, offset, bytes.length - offset);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "EAGAIN") {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1); // a non-blocking pipe: wait for the reader
        continue;
      }
      if (code === "EPIPE") process.exit(fd === 1 ? 141 : 1);
      throw error;
    }
  }
}

export const fastStdio: CommandIO = {
  stdout: (text) => writeAll(1, text),
  stderr: (text) => writeAll(2, text),
};
