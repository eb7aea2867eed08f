/**
 * A container's status, computed like runc: the init is alive (same pid and
 * start time, not a zombie) → "created" while the exec fifo still exists,
 * "paused" when its cgroup is frozen, else "running"; otherwise "stopped".
 */
import { existsSync, readFileSync } from "node:fs";
import { isFrozen } from "@oci-tools/cgroup";
import { isSameLiveProcess } from "./proc.ts";
import { EXEC_FIFO, LOCK_FILE, type ContainerRecord } from "./state.ts";


export type Status = "creating" | "created" | "running" | "paused" | "stopped";

function lockHolderAlive(dir: string): boolean {
  try {
    const m = /^(\d+) (\d+)\n$/.exec(readFileSync(`${dir}/${LOCK_FILE}`, "utf8"));
    return m !== null && isSameLiveProcess(Number(m[1]), Number(m[2]));
  } catch {
    return false;
  }
}

export function computeStatus(rec: ContainerRecord, dir: string): Status {
  if (rec.phase === "creating") {
    // create is still running (it holds the lock) or it crashed.
    return lockHolderAlive(dir) ? "creating" : "stopped";
  }
  if (!isSameLiveProcess(rec.pid, rec.pidStartTime)) return "stopped";
  if (existsSync(`${dir}/${EXEC_FIFO}`)) return "created";
  if (rec.cgroup && isFrozen(rec.cgroup)) return "paused";
  return "running";
}

/** The runtime-spec state object, field order as runc prints it (CLI-CONTRACT.md "Output shapes"). */
export interface SpecState {
  ociVersion: string;
  id: string;
  pid: number;
  status: Status;
  bundle: string;
  rootfs: string;
  created: string;
  annotations?: Record<string, string>;
  owner: string;
}

export function specState(rec: ContainerRecord, status: Status, owner: string): SpecState {
  const s: SpecState = {
    ociVersion: rec.ociVersion,
    id: rec.id,
    pid: status === "stopped" ? 0 : rec.pid,
    status,
    bundle: rec.bundle,
    rootfs: rec.rootfs,
    created: rec.created,
    owner,
  };
  if (Object.keys(rec.annotations).length > 0) {
    // Keep "annotations" before "owner".
    return { ociVersion: s.ociVersion, id: s.id, pid: s.pid, status, bundle: s.bundle, rootfs: s.rootfs, created: s.created, annotations: { ...rec.annotations }, owner };
  }
  return s;
}

/** uid → user name via /etc/passwd (list's OWNER column); the number when unknown. */
export function userName(uid: number): string {
  try {
    for (const line of readFileSync("/etc/passwd", "utf8").split("\n")) {
      const f = line.split(":");
      if (f[2] === String(uid) && f[0]) return f[0];
    }
  } catch {
    /* fall through */
  }
  return `#${uid}`;
}
