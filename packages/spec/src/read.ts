/**
 * Bounded, synchronous reading of JSON input from a file, a bundle directory
 * or stdin. Limit: MAX_INPUT_BYTES (64 MiB) — far above any real config.json
 * (runc's default is ~2.5 KiB; a large seccomp profile ~50 KiB) and small
 * enough that a runaway input fails fast instead of exhausting memory. Regular
 * files are checked with fstat before reading; pipes are read in chunks and
 * abandoned as soon as the limit is passed.
 */
import { closeSync, fstatSync, openSync, readSync, type Stats } from "node:fs";
import { join } from "node:path";
import { InputError } from "./errors.ts";

export const MAX_INPUT_BYTES = 64 * 1024 * 1024;
/**
 * Deepest nesting accepted. runtime-spec configs nest about 6 levels
 * (linux.seccomp.syscalls[].args[].value). Without a bound, a 40 KB input of
 * 20 000 nested arrays pretty-prints to ~800 MB (indentation grows with depth)
 * and deeper ones overflow the stack when copied.
 */
export const MAX_DEPTH = 256;
const CHUNK = 256 * 1024;

export type InputSource = { kind: "stdin" } | { kind: "file"; path: string } | { kind: "bundle"; dir: string };

/** How a source is named in messages: "stdin", the file path, or DIR/config.json. */
export function sourceName(source: InputSource): string {
  switch (source.kind) {
    case "stdin":
      return "stdin";
    case "file":
      return source.path;
    case "bundle":
      return join(source.dir, "config.json");
  }
}

function describeErrno(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case "ENOENT":
      return "no such file or directory";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "EISDIR":
      return "is a directory, not a file";
    case "ENOTDIR":
      return "a path component is not a directory";
    case "ELOOP":
      return "too many levels of symbolic links";
    default:
      return code ?? (error instanceof Error ? error.message : String(error));
  }
}

function tooLarge(name: string, size?: number): InputError {
  const what = size === undefined ? `more than ${MAX_INPUT_BYTES} bytes` : `${size} bytes`;
  return new InputError(`${name}: input too large (${what}; the limit is ${MAX_INPUT_BYTES / (1024 * 1024)} MiB)`);
}

function readFd(fd: number, name: string, stats: Stats): Uint8Array {
  if (stats.isDirectory()) throw new InputError(`${name}: is a directory, not a file (use --bundle DIR for a bundle)`);
  if (stats.isFile() && stats.size > MAX_INPUT_BYTES) throw tooLarge(name, stats.size);
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const buffer = new Uint8Array(stats.isFile() && stats.size > 0 ? Math.min(stats.size + 1, MAX_INPUT_BYTES + 1) : CHUNK);
    let n: number;
    try {
      n = readSync(fd, buffer, 0, buffer.length, null);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "EAGAIN") {
        // A non-blocking stdin (inherited O_NONBLOCK): wait briefly, then retry.
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
        continue;
      }
      throw new InputError(`${name}: cannot read: ${describeErrno(error)}`);
    }
    if (n === 0) break;
    total += n;
    if (total > MAX_INPUT_BYTES) throw tooLarge(name);
    chunks.push(buffer.subarray(0, n));
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/** Reads a whole source as bytes, within the size limit. */
export function readSourceBytes(source: InputSource): Uint8Array {
  const name = sourceName(source);
  if (source.kind === "stdin") {
    let stats: Stats;
    try {
      stats = fstatSync(0);
    } catch (error) {
      throw new InputError(`stdin: cannot read: ${describeErrno(error)}`);
    }
    return readFd(0, name, stats);
  }
  if (source.kind === "bundle") {
    let dirStats: Stats;
    try {
      const fd = openSync(source.dir, "r");
      try {
        dirStats = fstatSync(fd);
      } finally {
        closeSync(fd);
      }
    } catch (error) {
      throw new InputError(`bundle ${source.dir}: ${describeErrno(error)}`);
    }
    if (!dirStats.isDirectory()) throw new InputError(`bundle ${source.dir}: not a directory`);
  }
  const path = name;
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (error) {
    throw new InputError(`${path}: ${describeErrno(error)}`);
  }
  try {
    return readFd(fd, name, fstatSync(fd));
  } finally {
    closeSync(fd);
  }
}

/** UTF-8 text of a source; binary data (invalid UTF-8 or NUL bytes) is refused. */
export function readSourceText(source: InputSource): string {
  const bytes = readSourceBytes(source);
  const name = sourceName(source);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new InputError(`${name}: not JSON: input is binary data (not UTF-8 text)`);
  }
  if (text.includes("\0")) throw new InputError(`${name}: not JSON: input is binary data (contains NUL bytes)`);
  return text;
}

/** Nesting depth of a parsed JSON value, without recursion (so any depth is measurable). */
export function jsonDepth(value: unknown, limit = Infinity): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (typeof node !== "object" || node === null) continue;
    if (depth > deepest) {
      deepest = depth;
      if (deepest > limit) return deepest;
    }
    for (const child of Array.isArray(node) ? node : Object.values(node)) {
      if (typeof child === "object" && child !== null) stack.push([child, depth + 1]);
    }
  }
  return deepest;
}

/** Parses JSON text with messages a user can act on. */
export function parseJsonText(text: string, name: string): unknown {
  if (text.trim() === "") throw new InputError(`${name}: empty input, expected a JSON document`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const detail = error instanceof Error ? error.message.replace(/^JSON Parse error: /, "") : String(error);
    if (/EOF|end of (JSON )?input|Unterminated/i.test(detail)) {
      throw new InputError(`${name}: not JSON: unexpected end of input (truncated?)`);
    }
    throw new InputError(`${name}: not JSON: ${detail}`);
  }
  if (jsonDepth(value, MAX_DEPTH) > MAX_DEPTH) throw new InputError(`${name}: JSON nested deeper than ${MAX_DEPTH} levels`);
  return value;
}

export function readJson(source: InputSource): unknown {
  return parseJsonText(readSourceText(source), sourceName(source));
}
