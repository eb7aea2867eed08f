/**
 * The state store: one directory per container under --root (mode 0700),
 * holding state.json (written atomically: temp file, fsync, rename), the lock
 * file and the exec fifo. Safety rule 5.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, writeSync, constants as C } from "node:fs";
import type { CgroupPlan } from "@oci-tools/cgroup";
import type { Hook } from "@oci-tools/spec";
import { isValidId } from "./ids.ts";
import { errors } from "./errors.ts";

export const STATE_FILE = "state.json";
export const LOCK_FILE = "lock";
export const EXEC_FIFO = "exec.fifo";
export const CONFIG_FILE = "config.json";

/** What oci-run records about a container (a superset of the runtime-spec state). */
export interface ContainerRecord {
  readonly ociVersion: string;
  readonly id: string;
  /** 0 until the init's pid is known. */
  readonly pid: number;
  /** /proc/<pid>/stat field 22 of the init, to tell it from a recycled pid. */
  readonly pidStartTime: number;
  /** "creating" while create runs (or if it crashed); "created" once create returned. */
  readonly phase: "creating" | "created";
  readonly bundle: string;
  readonly rootfs: string;
  /** RFC 3339 with nanoseconds, UTC. */
  readonly created: string;
  readonly annotations: Readonly<Record<string, string>>;
  /** uid of the creator; the user name is resolved for `list`. */
  readonly ownerUid: number;
  /** Absent only if the crash happened before the cgroup was planned. */
  readonly cgroup?: CgroupPlan;
  /** Processes created by create that are not in the cgroup (none today; hooks later). */
  readonly systemdCgroup: boolean;
  /** The config's poststart/poststop hooks (run after create returned; the bundle may have changed by then). */
  readonly hooks?: { readonly poststart?: readonly Hook[]; readonly poststop?: readonly Hook[] };
  /** Set (durably) right before the poststop hooks run: a retried delete does not run them again. */
  readonly poststopClaimed?: boolean;
}

export function defaultRoot(): string {
  if (process.getuid?.() !== 0 && process.env.XDG_RUNTIME_DIR) return `${process.env.XDG_RUNTIME_DIR}/oci-tools`;
  return "/run/oci-tools";
}

export class StateStore {
  constructor(readonly root: string) {}

  dir(id: string): string {
    if (!isValidId(id)) throw errors.invalidId(id);
    return `${this.root}/${id}`;
  }

  ensureRoot(): void {
    mkdirSync(this.root, { recursive: true, mode: 0o700 });
  }

  /** Creates the container's directory; EEXIST means "already exists". */
  createDir(id: string): string {
    const dir = this.dir(id);
    this.ensureRoot();
    try {
      mkdirSync(dir, { mode: 0o700 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EEXIST") throw errors.alreadyExists(id);
      throw e;
    }
    return dir;
  }

  /** The record, or undefined when the container directory has none (crash before the first write). */
  read(id: string): ContainerRecord | undefined {
    let text: string;
    try {
      text = readFileSync(`${this.dir(id)}/${STATE_FILE}`, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw e;
    }
    return JSON.parse(text) as ContainerRecord;
  }

  exists(id: string): boolean {
    try {
      readdirSync(this.dir(id));
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT" || (e as NodeJS.ErrnoException).code === "ENOTDIR") return false;
      throw e;
    }
  }

  /** Atomic replace (temp file, rename); `durable` (the default) fsyncs before the rename. */
  write(rec: ContainerRecord, opts: { durable?: boolean } = {}): void {
    const dir = this.dir(rec.id);
    const tmp = `${dir}/.${STATE_FILE}.${process.pid}`;
    const fd = openSync(tmp, C.O_WRONLY | C.O_CREAT | C.O_TRUNC, 0o600);
    try {
      writeSync(fd, JSON.stringify(rec));
      if (opts.durable !== false) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, `${dir}/${STATE_FILE}`);
  }

  /**
   * The config the container was created from, as loaded (upgraded, with
   * defaults): `exec` takes its process defaults from here, not from the
   * bundle, which may have changed since (runc keeps it in its state too).
   */
  writeConfig(id: string, config: unknown): void {
    const fd = openSync(`${this.dir(id)}/${CONFIG_FILE}`, C.O_WRONLY | C.O_CREAT | C.O_TRUNC, 0o600);
    try {
      writeSync(fd, JSON.stringify(config));
    } finally {
      closeSync(fd);
    }
  }

  readConfig(id: string): unknown {
    return JSON.parse(readFileSync(`${this.dir(id)}/${CONFIG_FILE}`, "utf8"));
  }

  remove(id: string): void {
    rmSync(this.dir(id), { recursive: true, force: true });
  }

  /** Ids with a directory under the root, sorted (runc lists in directory order; sorted is stabler). */
  ids(): string[] {
    let names: string[];
    try {
      names = readdirSync(this.root);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw e;
    }
    return names.filter(isValidId).sort();
  }
}
