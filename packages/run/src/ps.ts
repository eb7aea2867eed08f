/**
 * `ps`: the container's processes (every pid in its cgroup, so exec'd ones
 * too), as runc prints them: `--format json` is a JSON array of host pids
 * (`null` when there are none, like runc); otherwise ps(1) runs with the
 * given arguments (default -ef) and only its header and the container's rows
 * are kept.
 */
import { spawnSync } from "node:child_process";
import { listPids } from "@oci-tools/cgroup";
import { ToolError } from "@oci-tools/cli";
import { errors } from "./errors.ts";
import { isSameLiveProcess } from "./proc.ts";
import type { ContainerRecord, StateStore } from "./state.ts";

export function containerPids(rec: ContainerRecord): number[] {
  if (rec.cgroup) return listPids(rec.cgroup);
  return isSameLiveProcess(rec.pid, rec.pidStartTime) ? [rec.pid] : [];
}

export function formatPidsJson(pids: readonly number[]): string {
  return pids.length === 0 ? "null\n" : `${JSON.stringify(pids)}\n`;
}

/** Keeps ps(1)'s header and the lines whose PID column is one of `pids`. */
export function filterPsOutput(text: string, pids: readonly number[]): string {
  const lines = text.split("\n");
  const header = lines[0] ?? "";
  const column = header.trim().split(/\s+/).indexOf("PID");
  if (column < 0) throw new ToolError("ps: couldn't find PID field in ps output");
  const wanted = new Set(pids);
  const rows = lines.slice(1).filter((line) => {
    const fields = line.trim().split(/\s+/);
    return fields.length > column && wanted.has(Number(fields[column]));
  });
  return [header, ...rows].map((l) => `${l}\n`).join("");
}

export function psContainer(store: StateStore, id: string, o: { format: "table" | "json"; psArgs: readonly string[] }): string {
  const rec = store.read(id);
  if (!rec) throw errors.notExist(id);
  const pids = containerPids(rec);
  if (o.format === "json") return formatPidsJson(pids);
  const r = spawnSync("ps", o.psArgs.length > 0 ? [...o.psArgs] : ["-ef"], { encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.error) throw new ToolError(`ps ${id}: ${r.error.message}`);
  if (r.status !== 0) throw new ToolError(`ps ${id}: ps exited with status ${r.status}: ${r.stderr.trim()}`);
  return filterPsOutput(r.stdout, pids);
}
