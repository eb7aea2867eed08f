/**
 * oci-cgroup: the cgroup piece of a container on its own, chainable like
 * cgexec: `oci-cgroup exec --id web -- oci-ns exec … -- sh`.
 */
import { readFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import type { CommandDef, FlagDef, ParsedArgs, ToolDef } from "@oci-tools/cli";
import { ToolError, UsageError } from "@oci-tools/cli";
import { constants } from "node:os";
import { createCgroup, destroyCgroup, detectHost, freeze, joinCgroup, killAll, listPids, thaw } from "./fs.ts";
import { planCgroup, type CgroupPlan, type SimpleResources } from "./plan.ts";
import { CgroupPathError } from "./path.ts";

const selectFlags: FlagDef[] = [
  { name: "id", type: "string", describe: "container id (the default cgroup is <own cgroup>/<id>)" },
  { name: "cgroups-path", alias: ["p"], type: "string", describe: "linux.cgroupsPath (absolute, relative, or slice:prefix:name with --systemd-cgroup)" },
  { name: "bundle", alias: ["b"], type: "string", describe: "read linux.cgroupsPath and resources from <bundle>/config.json" },
  { name: "systemd-cgroup", type: "boolean", describe: "cgroupsPath is systemd's slice:prefix:name (path mapping only, no D-Bus)" },
];

interface BundleBits {
  cgroupsPath?: string;
  resources?: SimpleResources;
}

function planFrom(a: ParsedArgs): CgroupPlan {
  let bits: BundleBits = {};
  const bundle = a.string("bundle");
  if (bundle !== undefined) {
    try {
      const cfg = JSON.parse(readFileSync(`${bundle}/config.json`, "utf8")) as { linux?: BundleBits };
      bits = { ...(cfg.linux?.cgroupsPath !== undefined ? { cgroupsPath: cfg.linux.cgroupsPath } : {}), ...(cfg.linux?.resources ? { resources: cfg.linux.resources } : {}) };
    } catch (e) {
      throw new ToolError(`${bundle}/config.json: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  const path = a.string("cgroups-path") ?? bits.cgroupsPath;
  const id = a.string("id");
  if (id === undefined && path === undefined) throw new UsageError("give --id or --cgroups-path (or a bundle with linux.cgroupsPath)");
  if (id !== undefined && !/^[A-Za-z0-9][A-Za-z0-9_.+-]{0,1023}$/.test(id)) throw new UsageError(`invalid id ${JSON.stringify(id)}`);
  const host = detectHost();
  try {
    return planCgroup({ layout: host.layout, own: host.own, id: id ?? "", cgroupsPath: path, systemd: a.bool("systemd-cgroup"), resources: bits.resources });
  } catch (e) {
    if (e instanceof CgroupPathError) throw new ToolError(e.message);
    throw e;
  }
}

function signalNumber(text: string): number {
  if (/^\d+$/.test(text)) return Number(text);
  const name = text.toUpperCase().startsWith("SIG") ? text.toUpperCase() : `SIG${text.toUpperCase()}`;
  const n = (constants.signals as Record<string, number>)[name];
  if (n === undefined) throw new UsageError(`invalid signal ${JSON.stringify(text)}`);
  return n;
}

const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;

const commands: CommandDef[] = [
  {
    name: "plan",
    describe: "print the cgroup directories and limit writes for a container (no changes)",
    flags: selectFlags,
    run: (a, io) => (io.stdout(json(planFrom(a))), 0),
  },
  {
    name: "create",
    describe: "create the container's cgroup directories and apply pids/memory limits",
    flags: selectFlags,
    run: (a, io) => {
      const plan = planFrom(a);
      createCgroup(plan);
      io.stdout(json(plan));
      return 0;
    },
  },
  {
    name: "delete",
    describe: "remove the container's cgroup (with --kill, SIGKILL its processes first)",
    flags: [...selectFlags, { name: "kill", type: "boolean", describe: "kill every process in the cgroup first" }],
    run: (a) => {
      const plan = planFrom(a);
      if (a.bool("kill")) {
        for (let i = 0; i < 100 && listPids(plan).length > 0; i++) {
          killAll(plan, 9);
          Bun.sleepSync(5);
        }
      }
      destroyCgroup(plan);
      return 0;
    },
  },
  {
    name: "pids",
    describe: "print the pids in the container's cgroup as a JSON array",
    flags: selectFlags,
    run: (a, io) => (io.stdout(`${JSON.stringify(listPids(planFrom(a)))}\n`), 0),
  },
  {
    name: "kill",
    describe: "signal every process in the cgroup (frozen while signalled; cgroup.kill on v2 for KILL)",
    positionals: [{ name: "signal", describe: "signal name or number (default KILL)" }],
    flags: selectFlags,
    run: (a) => (killAll(planFrom(a), signalNumber(a.positional("signal") ?? "KILL")), 0),
  },
  {
    name: "freeze",
    describe: "freeze the cgroup and wait until it is frozen",
    flags: selectFlags,
    run: (a) => (freeze(planFrom(a)), 0),
  },
  {
    name: "thaw",
    describe: "thaw a frozen cgroup",
    flags: selectFlags,
    run: (a) => (thaw(planFrom(a)), 0),
  },
  {
    name: "exec",
    describe: "create the cgroup if needed, join it, and run CMD in it (like cgexec)",
    flags: selectFlags,
    positionals: [{ name: "cmd", describe: "command and arguments (after --)", variadic: true }],
    run: (a) => {
      const cmd = [...a.positionals("cmd"), ...a.rest];
      if (cmd.length === 0) throw new UsageError("exec: give a command after --");
      const plan = planFrom(a);
      createCgroup(plan);
      // The child inherits our cgroup; we cannot exec in place from Bun.
      joinCgroup(plan);
      const r = spawnSync(cmd[0]!, cmd.slice(1), { stdio: "inherit" });
      if (r.error) throw new ToolError(`exec ${cmd[0]}: ${(r.error as NodeJS.ErrnoException).code === "ENOENT" ? "executable file not found" : r.error.message}`);
      if (r.signal) return 128 + ((constants.signals as Record<string, number>)[r.signal] ?? 0);
      return r.status ?? 1;
    },
  },
];

export const tool: ToolDef = {
  name: "oci-cgroup",
  summary: "create, inspect, signal and remove a container's cgroup (v1, hybrid and v2)",
  description: [
    "oci-cgroup resolves a container's linux.cgroupsPath on this host's cgroup layout (v1, hybrid or unified v2) and manages the directories: create, list pids, freeze, kill all, delete.",
    "With --systemd-cgroup the path is systemd's slice:prefix:name form, mapped to /<slice path>/<prefix>-<name>.scope; oci-cgroup creates it with cgroupfs and does not talk to systemd over D-Bus.",
  ],
  version: "0.1.0",
  commands,
  seeAlso: ["oci-run(1)", "cgexec(1)"],
};
