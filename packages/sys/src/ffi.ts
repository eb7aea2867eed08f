/**
 * koffi bindings to libocisys.so. Loaded on the first call, never on import:
 * the lifecycle commands that need no syscall from TypeScript pay nothing.
 * Every native function returns a value >= 0 or -errno.
 */
import { nativePath } from "./native-path.ts";
import { SysError } from "./errors.ts";

type Fn = (...args: unknown[]) => unknown;
interface Lib {
  isProcfsFd: Fn;
  sendFd: Fn;
  recvFd: Fn;
  pidfdOpen: Fn;
  pidfdSendSignal: Fn;
  waitpid: Fn;
  setChildSubreaper: Fn;
  close: Fn;
  socketpair: Fn;
  recvMsg: Fn & { async: (...args: unknown[]) => void };
}

let lib: Lib | undefined;

function load(): Lib {
  if (lib) return lib;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const koffi = require("koffi") as typeof import("koffi");
  const so = koffi.load(nativePath("libocisys.so"));
  lib = {
    isProcfsFd: so.func("int ocisys_is_procfs_fd(int fd)"),
    sendFd: so.func("int ocisys_send_fd(int sock, int fd, const uint8_t *payload, int len)"),
    recvFd: so.func("int ocisys_recv_fd(int sock, _Out_ uint8_t *payload, int cap, _Out_ int *len)"),
    pidfdOpen: so.func("int ocisys_pidfd_open(int pid, unsigned int flags)"),
    pidfdSendSignal: so.func("int ocisys_pidfd_send_signal(int pidfd, int sig)"),
    waitpid: so.func("int ocisys_waitpid(int pid, _Out_ int *status, int options)"),
    setChildSubreaper: so.func("int ocisys_set_child_subreaper(int on)"),
    close: so.func("int ocisys_close(int fd)"),
    socketpair: so.func("int ocisys_socketpair(_Out_ int *fds)"),
    recvMsg: so.func("int ocisys_recv_msg(int sock, _Out_ uint8_t *buf, int cap, _Out_ int *fd, int timeout)") as Lib["recvMsg"],
  };
  return lib;
}

function check(syscall: string, r: unknown, path?: string): number {
  const n = r as number;
  if (n < 0) throw new SysError(syscall, -n, path);
  return n;
}

/** True when fd is on procfs (fstatfs f_type == PROC_SUPER_MAGIC). */
export function isProcfsFd(fd: number): boolean {
  return check("fstatfs", load().isProcfsFd(fd)) === 1;
}

/** Sends fd over a unix socket with SCM_RIGHTS, with payload as the message body. */
export function sendFd(socketFd: number, fd: number, payload: Uint8Array | string = new Uint8Array()): void {
  const bytes = typeof payload === "string" ? new TextEncoder().encode(payload) : payload;
  check("sendmsg", load().sendFd(socketFd, fd, bytes, bytes.length));
}

/** Receives one fd (and up to maxPayload bytes of message body) from a unix socket. */
export function recvFd(socketFd: number, maxPayload = 4096): { fd: number; payload: Uint8Array } {
  const buf = new Uint8Array(Math.max(1, maxPayload));
  const len = [0];
  const fd = check("recvmsg", load().recvFd(socketFd, buf, maxPayload, len));
  return { fd, payload: buf.slice(0, len[0] ?? 0) };
}

export function pidfdOpen(pid: number, flags = 0): number {
  return check("pidfd_open", load().pidfdOpen(pid, flags), String(pid));
}

export function pidfdSendSignal(pidfd: number, signal: number): void {
  check("pidfd_send_signal", load().pidfdSendSignal(pidfd, signal));
}

export const WNOHANG = 1;

export interface WaitResult {
  readonly pid: number;
  /** Exit code when exited normally. */
  readonly exitCode: number | undefined;
  /** Signal number when killed. */
  readonly signal: number | undefined;
  readonly raw: number;
}

/** waitpid(2); pid 0 in the result means WNOHANG found nothing. */
export function waitpid(pid: number, options = 0): WaitResult {
  const status = [0];
  const r = check("waitpid", load().waitpid(pid, status, options), String(pid));
  const raw = status[0] ?? 0;
  const sig = raw & 0x7f;
  return {
    pid: r,
    raw,
    exitCode: r > 0 && sig === 0 ? (raw >> 8) & 0xff : undefined,
    signal: r > 0 && sig !== 0 && sig !== 0x7f ? sig : undefined,
  };
}

export function prctlSetChildSubreaper(on = true): void {
  check("prctl(PR_SET_CHILD_SUBREAPER)", load().setChildSubreaper(on ? 1 : 0));
}

export function closeFd(fd: number): void {
  check("close", load().close(fd));
}

/** A connected AF_UNIX stream socket pair (close-on-exec). */
export function socketpair(): [number, number] {
  const fds = [0, 0];
  check("socketpair", load().socketpair(fds));
  return [fds[0]!, fds[1]!];
}

export interface ReceivedMessage {
  /** The bytes read (empty at EOF). */
  readonly bytes: Uint8Array;
  /** An fd that came with them (SCM_RIGHTS, close-on-exec), or -1. */
  readonly fd: number;
}

/**
 * One recvmsg on a unix stream socket, on koffi's worker thread (the event
 * loop keeps running while it waits): resolves with the bytes and any fd
 * attached; an empty result means EOF; undefined when `timeoutMs` (≥ 0)
 * passed without data. Works on non-blocking sockets (it
 * polls first), so it can read the socket Bun made for a child's stdio.
 */
export function recvMessage(socketFd: number, maxBytes = 65536, timeoutMs = -1): Promise<ReceivedMessage | undefined> {
  const buf = new Uint8Array(maxBytes);
  const fd = new Int32Array([-1]);
  return new Promise((resolve, reject) => {
    load().recvMsg.async(socketFd, buf, maxBytes, fd, timeoutMs, (err: unknown, r: number) => {
      if (err) return reject(err);
      if (r === -11 /* EAGAIN */ && timeoutMs >= 0) return resolve(undefined);
      if (r < 0) return reject(new SysError("recvmsg", -r));
      resolve({ bytes: buf.slice(0, r), fd: fd[0] ?? -1 });
    });
  });
}

/** For tests: whether the library has been loaded (it must not be on import). */
export function ffiLoaded(): boolean {
  return lib !== undefined;
}
