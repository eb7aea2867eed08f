/** Errors from the native layer: errno name, syscall and path, as values. */
import { constants } from "node:os";

const errnoNames = new Map<number, string>(Object.entries(constants.errno).map(([name, n]) => [n, name]));

export function errnoName(errno: number): string {
  return errnoNames.get(errno) ?? `E${errno}`;
}

export class SysError extends Error {
  readonly errno: number;
  /** "EPERM", "ENOENT", … */
  readonly code: string;
  readonly syscall: string;
  readonly path: string | undefined;

  constructor(syscall: string, errno: number, path?: string, detail?: string) {
    const code = errnoName(errno);
    super(`${syscall}${path === undefined ? "" : ` ${path}`}: ${detail ?? code}`);
    this.name = "SysError";
    this.errno = errno;
    this.code = code;
    this.syscall = syscall;
    this.path = path;
  }
}
