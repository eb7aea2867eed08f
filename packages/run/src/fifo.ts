/**
 * The exec fifo (made by oci-init's stage 0): create blocks the init on it,
 * start releases it by reading one byte. Reading must not hang if the init died, so the fifo is opened
 * non-blocking (a reader may open a fifo with no writer yet) and polled while
 * the init is checked for liveness.
 */
import { closeSync, openSync, readSync, unlinkSync, constants as C } from "node:fs";
import { ToolError } from "@oci-tools/cli";

export function releaseFifo(path: string, stillAlive: () => boolean, what: string, timeoutMs = 10_000): void {
  let fd: number;
  try {
    fd = openSync(path, C.O_RDONLY | C.O_NONBLOCK);
  } catch (e) {
    throw new ToolError(`${what}: open exec fifo: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  try {
    const buf = Buffer.alloc(1);
    const deadline = Date.now() + timeoutMs;
    for (let spins = 0; ; spins++) {
      let n = 0;
      try {
        n = readSync(fd, buf, 0, 1, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EAGAIN") throw e;
      }
      if (n === 1) break;
      // 0: no writer yet (the init is finishing its open) or it died; EAGAIN: writer, no byte yet.
      if (spins % 16 === 15 && !stillAlive()) throw new ToolError(`${what}: the container's init exited before start`);
      if (Date.now() > deadline) throw new ToolError(`${what}: timed out waiting for the container's init`);
      Bun.sleepSync(spins < 64 ? 0.05 : 1);
    }
  } finally {
    closeSync(fd);
  }
  unlinkSync(path);
}
