/**
 * oci-mount: the rootfs piece of a container on its own.
 *   oci-mount plan [-b DIR | -c FILE] [--no-pivot]   the ordered op list as JSON
 *   oci-mount exec -b DIR [--no-pivot] -- CMD …      new mount namespace, the bundle's rootfs set up, run CMD
 *
 * Host facts the planner takes as inputs (bind source kinds, cgroup layout,
 * /proc/kcore, whether we already run in a user namespace) are read here.
 */
import type { CommandDef, ParsedArgs, ToolDef } from "@oci-tools/cli";
import { type NamespacePlan, type Op } from "@oci-tools/plan";
import { asToolError, readSpec, runPiece, SPEC_FLAGS, toJson } from "@oci-tools/toolkit";
import { flagNames } from "./flags.ts";
import { hostFacts } from "./host.ts";
import { planRootfs, type RootfsPlan } from "./plan.ts";
import type { MountSpec } from "./spec-like.ts";
import { sourceKindsFor } from "./sources.ts";

const FLAGS = [...SPEC_FLAGS, { name: "no-pivot", type: "boolean" as const, describe: "chroot after a move mount instead of pivot_root (like runc --no-pivot)" }];

function rootfsPlan(spec: MountSpec, bundleDir: string, namespaces: NamespacePlan, a: ParsedArgs): RootfsPlan {
  return asToolError(() => {
    const facts = hostFacts(namespaces, spec.root ? (spec.root.path.startsWith("/") ? spec.root.path : `${bundleDir}/${spec.root.path}`) : undefined);
    return planRootfs(spec, {
      bundleDir,
      namespaces,
      noPivot: a.bool("no-pivot"),
      sourceKinds: sourceKindsFor(spec, bundleDir),
      ...(facts.cgroupLayout ? { cgroupLayout: facts.cgroupLayout } : {}),
      procKcore: facts.procKcore,
      runningInUserNs: facts.runningInUserNs,
      joinedNetnsIsHost: facts.joinedNetnsIsHost,
      ...(facts.rootfsParentMount ? { rootfsParentMount: facts.rootfsParentMount } : {}),
    });
  });
}

/** An op with the names of its flag bits alongside the numbers. */
export function describeOp(op: Op): Record<string, unknown> {
  switch (op.op) {
    case "mount":
      return {
        ...op,
        flagNames: flagNames(op.flags),
        ...(op.remountFlags !== undefined ? { remountFlagNames: flagNames(op.remountFlags) } : {}),
        ...(op.propagation !== undefined ? { propagationNames: flagNames(op.propagation) } : {}),
      };
    case "propagate":
      return { ...op, flagNames: flagNames(op.flags) };
    case "mknod":
    case "mkdir":
      return { ...op, mode: `0${op.mode.toString(8)}` };
    default:
      return { ...op };
  }
}

/** The ops in the order they run, each with its phase. */
export function orderedOps(plan: RootfsPlan): Record<string, unknown>[] {
  return [
    ...plan.utsOps.map((op) => ({ phase: "uts", ...describeOp(op) })),
    ...plan.rootfsOps.map((op) => ({ phase: "rootfs", ...describeOp(op) })),
    { phase: "pivot", ...describeOp(plan.pivot) },
    ...plan.postPivotOps.map((op) => ({ phase: "post-pivot", ...describeOp(op) })),
  ];
}

/** The spec's namespaces, as planRootfs validates hostname and sysctl against them. */
function specNamespaces(spec: { linux?: { namespaces?: readonly { type: string; path?: string }[] } }): NamespacePlan {
  const join: { type: never; path: string }[] = [];
  const create: never[] = [];
  for (const ns of spec.linux?.namespaces ?? []) {
    if (ns.path) join.push({ type: ns.type as never, path: ns.path });
    else create.push(ns.type as never);
  }
  return { join, create };
}

const commands: CommandDef[] = [
  {
    name: "plan",
    describe: "print the ordered mount, device and path ops for a bundle's rootfs (no changes)",
    flags: FLAGS,
    run: async (a, io) => {
      const { spec, bundleDir } = await readSpec(a);
      io.stdout(toJson({ ops: orderedOps(rootfsPlan(spec, bundleDir, specNamespaces(spec), a)) }));
      return 0;
    },
  },
  {
    name: "exec",
    describe: "in a new mount namespace, set up the bundle's rootfs (mounts, devices, masked paths, pivot) and run COMMAND in it",
    flags: FLAGS,
    positionals: [{ name: "command", describe: "the command and its arguments (looked up in the container)", variadic: true }],
    stopParsingAfter: 1,
    run: (a) =>
      runPiece(a, "oci-mount", ({ spec, bundleDir }) => {
        // Only the mount piece: hostname and sysctl belong to namespaces this command does not create.
        const mountOnly = { ...spec, hostname: undefined, domainname: undefined, linux: { ...spec.linux, sysctl: undefined } };
        const namespaces: NamespacePlan = { join: [], create: ["mount"] };
        return [{ namespaces }, rootfsPlan(mountOnly, bundleDir, namespaces, a)];
      }),
  },
];

export const tool: ToolDef = {
  name: "oci-mount",
  summary: "plan or set up an OCI container's root filesystem",
  description: [
    "oci-mount reads an OCI runtime config (config.json) and plans the container's filesystem the way runc sets it up: propagation of /, the bind of root.path, every mount in order with its options parsed into mount(2) flags and filesystem data (bind remounts for ro, nosuid, nodev, noexec, …), cgroup mounts, the default devices and linux.devices, /dev/ptmx and the /dev/fd and /dev/std* links, pivot_root (or chroot with --no-pivot), the read-only root, sysctls, and the read-only and masked paths.",
    "`plan` prints the ordered op list as JSON (flags also by name). `exec` creates a mount namespace, sets the rootfs up through oci-init and runs a command inside it; hostname and sysctl are left to the namespaces' own tools. It needs root.",
  ],
  version: "0.1.0",
  commands,
  examples: [
    { cmd: "oci-mount plan -b ./bundle", describe: "show the ordered ops for a bundle" },
    { cmd: "oci-mount exec -b ./bundle -- cat /proc/self/mountinfo", describe: "look at the mounts the bundle gets" },
  ],
  seeAlso: ["oci-ns(1)", "oci-caps(1)", "oci-run(1)", "mount(8)"],
};

