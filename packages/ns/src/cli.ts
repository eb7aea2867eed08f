/**
 * oci-ns: the namespace piece of a container on its own.
 *   oci-ns plan [-b DIR | -c FILE]       the NamespacePlan as JSON (stdin when neither)
 *   oci-ns exec -b DIR -- CMD …          enter/create the bundle's namespaces and run CMD (like unshare(1))
 */
import type { CommandDef, ToolDef } from "@oci-tools/cli";
import { CLONE_FLAGS, type NamespacePlan } from "@oci-tools/plan";
import { asToolError, readSpec, runPiece, SPEC_FLAGS, toJson } from "@oci-tools/toolkit";
import { planNamespaces, type NamespaceOptions } from "./plan.ts";

function options(): NamespaceOptions {
  const euid = process.geteuid?.() ?? 0;
  return euid === 0 ? {} : { rootless: { euid, egid: process.getegid?.() ?? euid } };
}

/** The plan plus the clone(2) flags it amounts to, for people reading it. */
export function describeNamespaces(plan: NamespacePlan): NamespacePlan & { cloneFlags: string } {
  const flags = plan.create.reduce((f, t) => f | CLONE_FLAGS[t], 0);
  return { ...plan, cloneFlags: `0x${(flags >>> 0).toString(16).padStart(8, "0")}` };
}

const commands: CommandDef[] = [
  {
    name: "plan",
    describe: "print the namespaces to create and join, id mappings and time offsets (no changes)",
    flags: SPEC_FLAGS,
    run: async (a, io) => {
      const { spec } = await readSpec(a);
      io.stdout(toJson(describeNamespaces(asToolError(() => planNamespaces(spec, options())))));
      return 0;
    },
  },
  {
    name: "exec",
    describe: "create and join the bundle's namespaces, then run COMMAND in them (like unshare(1))",
    flags: SPEC_FLAGS,
    positionals: [{ name: "command", describe: "the command and its arguments", variadic: true }],
    stopParsingAfter: 1,
    run: (a) => runPiece(a, "oci-ns", ({ spec }) => [{ namespaces: planNamespaces(spec, options()) }]),
  },
];

export const tool: ToolDef = {
  name: "oci-ns",
  summary: "plan or enter an OCI container's namespaces",
  description: [
    "oci-ns reads an OCI runtime config (config.json) and plans its Linux namespaces: which to create, which to join by path (the user namespace first), the uid/gid mappings and setgroups policy of a new user namespace, and the offsets of a new time namespace.",
    "`plan` prints the plan as JSON. `exec` creates and joins those namespaces through oci-init and runs a command in them, the way unshare(1) does; it does not mount anything (a new pid namespace keeps the host's /proc). It needs root.",
  ],
  version: "0.1.0",
  commands,
  examples: [
    { cmd: "oci-ns plan -b ./bundle", describe: "show the namespace plan of a bundle" },
    { cmd: "oci-ns exec -b ./bundle -- hostname", describe: "run hostname in the bundle's namespaces" },
  ],
  seeAlso: ["oci-mount(1)", "oci-caps(1)", "oci-run(1)", "unshare(1)"],
};

