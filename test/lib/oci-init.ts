/**
 * Driving native/oci-init with hand-made Plans: a base plan for a busybox
 * rootfs and a runner that captures the container's output and exit status.
 */
import type { NamespaceType, Op, Plan } from "../../packages/plan/src/index.ts";
import { runInit, type InitErrorMessage, type InitRun, type RunInitOptions } from "../../packages/sys/src/index.ts";

export const MS = {
  RDONLY: 1, NOSUID: 2, NODEV: 4, NOEXEC: 8, REMOUNT: 32, BIND: 4096, MOVE: 8192, REC: 16384,
  PRIVATE: 1 << 18, SLAVE: 1 << 19, SHARED: 1 << 20, RELATIME: 1 << 21, STRICTATIME: 1 << 24,
} as const;

export interface PlanOptions {
  readonly args: string[];
  /** Ops after bind-rootfs and the standard mounts, before pivot. */
  readonly preOps?: Op[];
  /** Ops after the pivot. */
  readonly ops?: Op[];
  readonly create?: NamespaceType[];
  readonly stage0?: "exit" | "wait";
  readonly env?: string[];
  readonly pivot?: "pivot-root" | "chroot";
  readonly extra?: Partial<Plan>;
  /** Skip the standard /proc and /dev mounts. */
  readonly bare?: boolean;
}

/** rslave /, bind the rootfs, mount /proc and a /dev tmpfs with null/zero, preOps, pivot, ops. */
export function basePlan(rootfs: string, o: PlanOptions): Plan {
  const std: Op[] = o.bare
    ? []
    : [
        { op: "mount", source: "proc", target: "/proc", fstype: "proc", flags: MS.NOSUID | MS.NODEV | MS.NOEXEC, data: "", create: "dir" },
        { op: "mount", source: "tmpfs", target: "/dev", fstype: "tmpfs", flags: MS.NOSUID | MS.STRICTATIME, data: "mode=755,size=65536k", create: "dir" },
        { op: "mknod", path: "/dev/null", kind: "c", major: 1, minor: 3, mode: 0o666, uid: 0, gid: 0 },
        { op: "mknod", path: "/dev/zero", kind: "c", major: 1, minor: 5, mode: 0o666, uid: 0, gid: 0 },
      ];
  return {
    version: 1,
    containerId: "octest-native",
    stage0: o.stage0 ?? "wait",
    cgroupProcs: [],
    namespaces: { join: [], create: o.create ?? ["mount", "pid", "uts", "ipc"] },
    ops: [
      { op: "propagate", target: "/", flags: MS.REC | MS.SLAVE },
      { op: "bind-rootfs", path: rootfs },
      ...std,
      ...(o.preOps ?? []),
      { op: o.pivot ?? "pivot-root" },
      ...(o.ops ?? []),
    ],
    process: { args: o.args, env: o.env ?? ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root"], preserveFds: 0 },
    ...o.extra,
  };
}

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly error: InitErrorMessage | undefined;
  readonly run: InitRun;
}

/** Runs a plan in "wait" mode to completion, capturing stdout/stderr. */
export async function runPlan(plan: Plan, opts: Omit<RunInitOptions, "stdio"> = {}): Promise<RunResult> {
  const run = await runInit(plan, { ...opts, stdio: ["ignore", "pipe", "pipe"] });
  const [stdout, stderr, code] = await Promise.all([
    new Response(run.proc.stdout as ReadableStream).text(),
    new Response(run.proc.stderr as ReadableStream).text(),
    run.exited,
  ]);
  await Promise.race([run.closed, Bun.sleep(1000)]);
  return { code, stdout, stderr, error: run.error, run };
}

/** A shell one-liner plan in a busybox rootfs. */
export function sh(rootfs: string, script: string, o: Omit<PlanOptions, "args"> = {}): Plan {
  return basePlan(rootfs, { ...o, args: ["/bin/sh", "-c", script] });
}
