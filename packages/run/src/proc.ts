import { readFileSync } from "node:fs";

export interface ProcStat {
  readonly state: string;
  /** Field 22: start time in clock ticks since boot; with the pid it names a process uniquely. */
  readonly startTime: number;
  readonly ppid: number;
}

/** /proc/<pid>/stat, or undefined when the process is gone. The comm field may contain ") ". */
export function readProcStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "latin1");
  } catch {
    return undefined;
  }
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  // fields[0] is field 3 (state); field N is fields[N - 3].
  return { state: fields[0] ?? "?", ppid: Number(fields[1]), startTime: Number(fields[19]) };
}

/** Is `pid` still the very process we started (not a zombie, not a recycled pid)? */
export function isSameLiveProcess(pid: number, startTime: number): boolean {
  if (pid <= 0) return false;
  const st = readProcStat(pid);
  return st !== undefined && st.startTime === startTime && st.state !== "Z" && st.state !== "X";
}
