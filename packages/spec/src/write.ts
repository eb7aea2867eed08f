/**
 * Atomic file writes. A temp file in the same directory is written and then
 * put in place, so a reader sees the old file or the new one, never a torn
 * write.
 * - replace (`--in-place`): fsync the temp file, rename it over the target,
 *   fsync the directory: durable as well as atomic.
 * - exclusive (`init --bundle`): link(2) the temp file to the target, which fails
 *   with EEXIST if the target appeared meanwhile, so an existing config.json is
 *   never replaced. No fsync, like `runc spec` (a new file; fsync costs ~10 ms).
 */
import { closeSync, fsyncSync, linkSync, openSync, renameSync, statSync, unlinkSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";

export interface WriteOptions {
  mode?: number;
  /** Fail with EEXIST instead of replacing an existing file (and skip fsync). */
  exclusive?: boolean;
}

export function writeFileAtomic(path: string, text: string, options: WriteOptions = {}): void {
  let mode = options.mode ?? 0o644;
  try {
    mode = statSync(path).mode & 0o7777; // keep the permissions of the file we replace
  } catch {
    // new file
  }
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
  const fd = openSync(temp, "wx", mode);
  let open = true;
  try {
    const bytes = Buffer.from(text, "utf8");
    let offset = 0;
    while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
    if (!options.exclusive) fsyncSync(fd);
    open = false;
    closeSync(fd);
    if (options.exclusive) {
      try {
        linkSync(temp, path);
      } finally {
        unlinkSync(temp);
      }
      return;
    }
    renameSync(temp, path);
  } catch (error) {
    if (open) closeSync(fd);
    try {
      unlinkSync(temp);
    } catch {
      // already gone
    }
    throw error;
  }
  const dirFd = openSync(dir, "r");
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}
