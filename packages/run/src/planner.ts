/**
 * The bridge from a bundle to the bytes oci-init reads: @oci-tools/spec loads
 * and validates config.json (rc1 forms upgraded), @oci-tools/plan composes the
 * planners' fragments. Imported lazily: only create and run pay for ajv.
 */
import type { LoadedSpec } from "@oci-tools/spec";
import { ToolError } from "@oci-tools/cli";
import type { CgroupLayout, CgroupPlan } from "@oci-tools/cgroup";
import type { Plan } from "@oci-tools/plan";
import type { CgroupLayout as MountCgroupLayout } from "@oci-tools/mount";
import { placeHookOps } from "./hooks.ts";
import { consoleOp, withConsole } from "./console-op.ts";

export type BundleSpec = LoadedSpec;

export interface PlanContext {
  readonly id: string;
  readonly bundle: string;
  readonly rootfs: string;
  readonly stage0: "exit" | "wait";
  readonly cgroupProcs: readonly string[];
  /** Absent: no exec fifo, the process starts as soon as it is ready (`run`). */
  readonly execFifo: string | undefined;
  readonly noPivot: boolean;
  readonly noNewKeyring: boolean;
  readonly preserveFds: number;
}

/** config.json → validated, rc1-upgraded Spec with defaults; errors as one line each. */
export async function loadBundleSpec(bundle: string, id: string): Promise<BundleSpec> {
  const { loadSpec } = await import("@oci-tools/spec");
  try {
    return loadSpec(bundle);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new ToolError(`create ${id}: ${msg.replace(/:\s*\n\s*/g, ": ").replace(/\s*\n\s*/g, "; ")}`);
  }
}

/** The container's cgroups in oci-mount's terms (for "cgroup" mounts inside the container). */
function mountCgroupLayout(layout: CgroupLayout, cg: CgroupPlan): MountCgroupLayout {
  if (layout.kind === "v2") return { version: 2, mountpoint: layout.mountpoint };
  const hierarchies = layout.hierarchies.flatMap((h) => {
    const dir = cg.dirs.find((d) => d.controllers.join(",") === h.controllers.join(","));
    if (!dir) return [];
    const inner = dir.path.slice(h.mountpoint.replace(/\/$/, "").length) || "/";
    return [{ mountpoint: h.mountpoint, root: h.root, path: h.root === "/" ? inner : `${h.root}${inner}` }];
  });
  return { version: 1, hierarchies };
}

/** Spec → Plan: oci-ns, oci-mount and oci-caps fragments composed with the cgroup and the exec fifo. */
export async function buildPlan(spec: BundleSpec, ctx: PlanContext, host: { layout: CgroupLayout; cgroup: CgroupPlan }): Promise<Plan> {
  const [{ composePlan, PlanError }, { planNamespaces }, mount, caps] = await Promise.all([
    import("@oci-tools/plan"),
    import("@oci-tools/ns"),
    import("@oci-tools/mount"),
    import("@oci-tools/caps"),
  ]);
  try {
    const namespaces = planNamespaces(spec);
    // Host facts the planners take as input (they do no I/O themselves): whether we run in a
    // user namespace, whether a joined netns is the host's, and the mount holding the rootfs
    // (a shared one must be made private, or pivot_root fails with EINVAL).
    const facts = mount.hostFacts(namespaces, ctx.rootfs);
    const rootfs = mount.planRootfs(spec, {
      bundleDir: ctx.bundle,
      namespaces,
      noPivot: ctx.noPivot,
      sourceKinds: mount.sourceKindsFor(spec, ctx.bundle),
      cgroupLayout: mountCgroupLayout(host.layout, host.cgroup),
      procKcore: facts.procKcore,
      runningInUserNs: facts.runningInUserNs,
      joinedNetnsIsHost: facts.joinedNetnsIsHost,
      ...(facts.rootfsParentMount ? { rootfsParentMount: facts.rootfsParentMount } : {}),
    });
    // A missing AppArmor/SELinux is a clear planning error, not a failed write in the init.
    const wantsLsm = Boolean(spec.process?.apparmorProfile || spec.process?.selinuxLabel);
    const processFragment = caps.planProcess(spec, wantsLsm ? { hostLsm: caps.hostLsm() } : {});
    const proc = spec.process;
    if (!proc) throw new PlanError("process", "a container needs a process to run");
    const plan = composePlan({
      containerId: ctx.id,
      stage0: ctx.stage0,
      cgroupProcs: ctx.cgroupProcs,
      fragments: [{ namespaces }, rootfs, processFragment],
      process: { args: proc.args ?? [], env: caps.dedupeEnv(proc.env ?? []), preserveFds: ctx.preserveFds, ...(ctx.execFifo === undefined ? {} : { execFifo: ctx.execFifo }) },
    });
    // Hooks: a sync op + createContainer hook ops before pivot_root, startContainer hooks in process.startHooks.
    const hooked = placeHookOps(plan, spec.hooks, proc.env ?? []);
    // process.terminal: a pty from the container's devpts right after pivot_root, bound onto /dev/console (runc).
    return proc.terminal ? withConsole(hooked, consoleOp(proc.consoleSize, true)) : hooked;
  } catch (e) {
    if (e instanceof PlanError || (e instanceof Error && /Error$/.test(e.name) && !(e instanceof ToolError))) {
      throw new ToolError(`create ${ctx.id}: ${e.message}`);
    }
    throw e;
  }
}
