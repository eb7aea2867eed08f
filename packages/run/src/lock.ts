/**
 * A per-container lock that survives crashes of its holder.
 *
 * Node/Bun have no flock(2), so the lock is a file created with O_EXCL that
 * records "<pid> <start time>" of its holder. A holder that died (SIGKILL in
 * the middle of create) leaves the file behind; the next caller sees that the
 * recorded process no longer exists and takes the lock over, so a crashed
 * create never blocks `delete --force`. Taking over goes through rename() to
 * a private name, so two callers cannot both remove the stale file and then
 * each other's fresh lock.
 */
import { closeSync, openSync, readFileSync, renameSync, unlinkSync, writeSync, constants as C } from "node:fs";
import { isSameLiveProcess, readProcStat } from "./proc.ts";
import { ToolError } from "@oci-tools/cli";

export interface Lock {
  release(): void;
}

function code(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException)?.code;
}

const self = (() => {
  let cached: string | undefined;
  return () => (cached ??= `${process.pid} ${readProcStat(process.pid)?.startTime ?? 0}\n`);
})();

function holderIsAlive(content: string): boolean {
  const m = /^(\d+) (\d+)\n$/.exec(content);
  // A half-written file: its writer died between open and write (or is writing right now).
  if (!m) return false;
  return isSameLiveProcess(Number(m[1]), Number(m[2]));
}

/**
 * Acquires `path` (the lock file). Throws ENOENT-carrying errors if the
 * directory is gone (the container was deleted meanwhile).
 */
export function acquireLock(path: string, what: string, timeoutMs = 30_000): Lock {
  const deadline = Date.now() + timeoutMs;
  let lastEmptySeen = 0;
  for (;;) {
    try {
      const fd = openSync(path, C.O_WRONLY | C.O_CREAT | C.O_EXCL, 0o600);
      try {
        writeSync(fd, self());
      } finally {
        closeSync(fd);
      }
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          try {
            unlinkSync(path);
          } catch (e) {
            if (code(e) !== "ENOENT") throw e;
          }
        },
      };
    } catch (e) {
      if (code(e) !== "EEXIST") throw e;
    }
    let content: string;
    try {
      content = readFileSync(path, "utf8");
    } catch (e) {
      if (code(e) === "ENOENT") continue;
      throw e;
    }
    // An empty file may be a holder between open() and write(): give it a moment.
    const empty = content === "";
    if (empty && lastEmptySeen === 0) lastEmptySeen = Date.now();
    const stale = empty ? Date.now() - lastEmptySeen > 200 : !holderIsAlive(content);
    if (stale) {
      const aside = `${path}.stale.${process.pid}`;
      try {
        renameSync(path, aside);
      } catch (e) {
        if (code(e) === "ENOENT") continue;
        throw e;
      }
      const moved = readFileSync(aside, "utf8");
      if (moved === content || (empty && moved === "")) {
        unlinkSync(aside);
      } else {
        // We moved a fresh lock someone took meanwhile: put it back unless
        // the path was taken again, in which case both are live — keep theirs.
        try {
          renameSync(aside, path);
        } catch {
          unlinkSync(aside);
        }
      }
      lastEmptySeen = 0;
      continue;
    }
    if (Date.now() > deadline) {
      throw new ToolError(`${what}: timed out waiting for the lock held by pid ${content.split(" ")[0]}`);
    }
    Bun.sleepSync(1);
  }
}
