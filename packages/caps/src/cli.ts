/**
 * oci-caps: the process-privileges piece of a container on its own.
 *   oci-caps plan [-b DIR | -c FILE]     process ops as JSON, capability masks with names
 *   oci-caps exec -b DIR -- CMD …        apply rlimits, user, groups, capabilities,
 *                                        no_new_privs, … and run CMD (like setpriv(1))
 */
import type { CommandDef, ToolDef } from "@oci-tools/cli";
import { type Op } from "@oci-tools/plan";
import { asToolError, readSpec, runPiece, SPEC_FLAGS, toJson } from "@oci-tools/toolkit";
import { hostLsm } from "./host.ts";
import { capabilityNames } from "./names.ts";
import { planProcess } from "./plan.ts";

const hex = (mask: bigint) => `0x${mask.toString(16).padStart(16, "0")}`;

/** An op for people: masks in hex with the capability names, ids and modes readable. */
export function describeOp(op: Op): Record<string, unknown> {
  switch (op.op) {
    case "identity":
      return {
        ...op,
        caps: Object.fromEntries(Object.entries(op.caps).map(([set, mask]) => [set, { mask: hex(mask), names: capabilityNames(mask) }])),
      };
    case "umask":
      return { ...op, mask: `0${op.mask.toString(8).padStart(3, "0")}` };
    case "rlimit":
      return { ...op, soft: op.soft === 0xffff_ffff_ffff_ffffn ? "unlimited" : op.soft, hard: op.hard === 0xffff_ffff_ffff_ffffn ? "unlimited" : op.hard };
    case "personality":
    case "ioprio":
      return { ...op, hex: `0x${(op.op === "personality" ? op.persona : op.ioprio).toString(16)}` };
    default:
      return { ...op };
  }
}

const commands: CommandDef[] = [
  {
    name: "plan",
    describe: "print the process ops (rlimits, identity with capability masks and names, no-new-privs, …) (no changes)",
    flags: SPEC_FLAGS,
    run: async (a, io) => {
      const { spec } = await readSpec(a);
      const fragment = asToolError(() => planProcess(spec, { hostLsm: hostLsm() }));
      for (const w of fragment.warnings) io.stderr(`oci-caps: warning: ${w}\n`);
      io.stdout(toJson({ processOps: fragment.processOps.map(describeOp) }));
      return 0;
    },
  },
  {
    name: "exec",
    describe: "apply the bundle's process privileges (no namespaces, no chdir) and run COMMAND (like setpriv(1))",
    flags: SPEC_FLAGS,
    positionals: [{ name: "command", describe: "the command and its arguments", variadic: true }],
    stopParsingAfter: 1,
    // Warnings (ambient caps the kernel would not raise) are for `plan`; exec is quiet like runc.
    run: (a) => runPiece(a, "oci-caps", ({ spec }) => [planProcess(spec, { hostLsm: hostLsm(), chdir: false, home: false })]),
  },
];

export const tool: ToolDef = {
  name: "oci-caps",
  summary: "plan or apply an OCI container's process privileges",
  description: [
    "oci-caps reads an OCI runtime config (config.json) and plans the privileges of its process: rlimits (every RLIMIT_ name), personality, I/O priority, scheduler, umask, AppArmor profile and SELinux label, no_new_privs, then the identity (uid, gid, additional groups, and the bounding, effective, permitted, inheritable and ambient capability sets), then the working directory.",
    "`plan` prints the ops as JSON with every capability mask in hex and by name. `exec` applies them through oci-init and runs a command, the way setpriv(1) does (no namespaces, no chdir). Raising limits or keeping capabilities needs root.",
  ],
  version: "0.1.0",
  commands,
  examples: [
    { cmd: "oci-caps plan -b ./bundle", describe: "show the capability sets and limits the bundle's process gets" },
    { cmd: "oci-caps exec -b ./bundle -- grep Cap /proc/self/status", describe: "see them applied" },
  ],
  seeAlso: ["oci-ns(1)", "oci-mount(1)", "oci-run(1)", "setpriv(1)", "capabilities(7)"],
};

