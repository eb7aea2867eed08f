/**
 * Terminals and console sockets: the few libc calls `oci-run` needs for
 * process.terminal that Bun does not expose — unix sockets as raw fds (to
 * send or receive a pty master with SCM_RIGHTS), window sizes (TIOCGWINSZ /
 * TIOCSWINSZ) and termios raw mode that can be restored synchronously from
 * an exit handler. Bound from libc through koffi, loaded on the first call
 * (only terminal containers pay for it). Errors are SysError values.
 */
import { SysError } from "./errors.ts";

type Fn = ((...args: unknown[]) => unknown) & { async: (...args: unknown[]) => void };
interface Libc {
  koffi: typeof import("koffi");
  errnoLocation: Fn;
  socket: Fn;
  connect: Fn;
  bind: Fn;
  listen: Fn;
  accept4: Fn;
  ioctlWinsize: Fn;
  tcgetattr: Fn;
  tcsetattr: Fn;
  cfmakeraw: Fn;
  close: Fn;
  fcntl: Fn;
}

const AF_UNIX = 1;
const SOCK_STREAM = 1;
const SOCK_CLOEXEC = 0o2000000;
const TIOCGWINSZ = 0x5413;
const TIOCSWINSZ = 0x5414;
const TCSANOW = 0;
/** sizeof(struct termios) in glibc on Linux (tcflag_t ×4, c_line, c_cc[32], speeds): 60; padded for safety. */
const TERMIOS_SIZE = 64;
/** sockaddr_un: sa_family_t (2 bytes) + sun_path[108]. */
const SUN_PATH_MAX = 108;

let libc: Libc | undefined;

function load(): Libc {
  if (libc) return libc;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const koffi = require("koffi") as typeof import("koffi");
  const so = koffi.load("libc.so.6");
  const f = (decl: string) => so.func(decl) as Fn;
  libc = {
    koffi,
    errnoLocation: f("int *__errno_location(void)"),
    socket: f("int socket(int domain, int type, int protocol)"),
    connect: f("int connect(int fd, const uint8_t *addr, uint32_t len)"),
    bind: f("int bind(int fd, const uint8_t *addr, uint32_t len)"),
    listen: f("int listen(int fd, int backlog)"),
    accept4: f("int accept4(int fd, void *addr, void *len, int flags)"),
    // ioctl is variadic; the winsize requests take one pointer (struct winsize: 4 × u16).
    ioctlWinsize: f("int ioctl(int fd, unsigned long request, ...)"),
    tcgetattr: f("int tcgetattr(int fd, _Out_ uint8_t *termios)"),
    tcsetattr: f("int tcsetattr(int fd, int when, const uint8_t *termios)"),
    cfmakeraw: f("void cfmakeraw(_Inout_ uint8_t *termios)"),
    close: f("int close(int fd)"),
    fcntl: f("int fcntl(int fd, int cmd, ...)"),
  };
  return libc;
}

function errno(l: Libc): number {
  return l.koffi.decode(l.errnoLocation(), "int") as number;
}

function check(l: Libc, syscall: string, r: unknown, path?: string): number {
  const n = r as number;
  if (n < 0) throw new SysError(syscall, errno(l), path);
  return n;
}

function sockaddrUn(path: string): Uint8Array {
  const bytes = new TextEncoder().encode(path);
  if (bytes.length === 0 || bytes.length >= SUN_PATH_MAX) throw new SysError("connect", 36 /* ENAMETOOLONG */, path);
  const addr = new Uint8Array(2 + bytes.length + 1);
  addr[0] = AF_UNIX; // little-endian sa_family_t
  addr.set(bytes, 2);
  return addr;
}

function closeQuietly(l: Libc, fd: number): void {
  if (fd >= 0) l.close(fd);
}

/** A close-on-exec AF_UNIX stream socket connected to `path` (the console socket). */
export function unixConnect(path: string): number {
  const l = load();
  const addr = sockaddrUn(path);
  const fd = check(l, "socket", l.socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if ((l.connect(fd, addr, addr.length) as number) < 0) {
    const e = errno(l);
    closeQuietly(l, fd);
    throw new SysError("connect", e, path);
  }
  return fd;
}

/** A close-on-exec AF_UNIX stream socket bound to `path` and listening (a console-socket receiver). */
export function unixListen(path: string, backlog = 16): number {
  const l = load();
  const addr = sockaddrUn(path);
  const fd = check(l, "socket", l.socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  for (const [name, call] of [
    ["bind", () => l.bind(fd, addr, addr.length)],
    ["listen", () => l.listen(fd, backlog)],
  ] as const) {
    if ((call() as number) < 0) {
      const e = errno(l);
      closeQuietly(l, fd);
      throw new SysError(name, e, path);
    }
  }
  return fd;
}

/** accept4(SOCK_CLOEXEC) on koffi's worker thread, so the event loop keeps running while it waits. */
export function unixAccept(listenFd: number): Promise<number> {
  const l = load();
  return new Promise((resolve, reject) => {
    l.accept4.async(listenFd, null, null, SOCK_CLOEXEC, (err: unknown, r: number) => {
      if (err) return reject(err);
      // errno was set on the worker thread and cannot be read from here.
      if (r < 0) return reject(new SysError("accept", 0, undefined, "failed"));
      resolve(r);
    });
  });
}

export interface Winsize {
  readonly rows: number;
  readonly cols: number;
}

/** TIOCGWINSZ: the terminal's size (0×0 when never set). */
export function getWinsize(fd: number): Winsize {
  const l = load();
  const ws = new Uint16Array(4);
  check(l, "ioctl(TIOCGWINSZ)", l.ioctlWinsize(fd, TIOCGWINSZ, "uint16_t *", ws));
  return { rows: ws[0]!, cols: ws[1]! };
}

/** TIOCSWINSZ: sets the size; on a pty master it reaches the slave, whose foreground process group gets SIGWINCH. */
export function setWinsize(fd: number, size: Winsize): void {
  const l = load();
  const ws = new Uint16Array([size.rows, size.cols, 0, 0]);
  check(l, "ioctl(TIOCSWINSZ)", l.ioctlWinsize(fd, TIOCSWINSZ, "uint16_t *", ws));
}

/** The terminal's current termios, as opaque bytes for restoreTermios. */
export function saveTermios(fd: number): Uint8Array {
  const l = load();
  const t = new Uint8Array(TERMIOS_SIZE);
  check(l, "tcgetattr", l.tcgetattr(fd, t));
  return t;
}

/** cfmakeraw on the terminal (no echo, no line editing, no signals from keys); returns the termios to restore. */
export function makeRaw(fd: number): Uint8Array {
  const l = load();
  const saved = saveTermios(fd);
  const raw = saved.slice();
  l.cfmakeraw(raw);
  check(l, "tcsetattr", l.tcsetattr(fd, TCSANOW, raw));
  return saved;
}

/** tcsetattr(TCSANOW) with bytes from saveTermios/makeRaw. Synchronous: safe in an exit handler. */
export function restoreTermios(fd: number, saved: Uint8Array): void {
  const l = load();
  check(l, "tcsetattr", l.tcsetattr(fd, TCSANOW, saved));
}

const F_GETFL = 3;
const F_SETFL = 4;

/** fcntl(F_GETFL): the open file description's status flags (O_NONBLOCK, …), shared with every process holding it. */
export function getStatusFlags(fd: number): number {
  const l = load();
  return check(l, "fcntl(F_GETFL)", l.fcntl(fd, F_GETFL));
}

/** fcntl(F_SETFL): e.g. to undo an O_NONBLOCK an event loop set on a terminal a shell shares with us. */
export function setStatusFlags(fd: number, flags: number): void {
  const l = load();
  check(l, "fcntl(F_SETFL)", l.fcntl(fd, F_SETFL, "int", flags));
}
