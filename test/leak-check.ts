/**
 * Did the tests leave anything behind? Mounts, cgroups, processes, network
 * namespaces and state directories that tests make all carry a recognisable
 * name (scratch dirs /tmp/oci-tools-test-*, ids and netns "octest-*"), so
 * this looks for those. Use `findLeaks()` before/after a test (compare with
 * `newLeaks(before)`), or run this file at the end of the suite:
 *   bun test/leak-check.ts   → exit 1 and a list when something leaked.
 */
import { readdirSync, readFileSync, readlinkSync, statSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { ID_PREFIX, TEST_PREFIX } from "./lib/bundle.ts";

export interface Leak {
  readonly kind: "mount" | "cgroup" | "process" | "netns" | "state";
  readonly what: string;
}

const MARKERS = [`/tmp/${TEST_PREFIX}-`, ID_PREFIX];

function unescape(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
}

function mountLeaks(): Leak[] {
  const out: Leak[] = [];
  for (const line of readFileSync("/proc/self/mountinfo", "utf8").split("\n")) {
    const f = line.split(" ");
    const point = unescape(f[4] ?? "");
    const root = unescape(f[3] ?? "");
    if (MARKERS.some((m) => point.includes(m) || root.includes(m)) || point.includes("oci-tools") || point.includes("/run/netns/octest")) {
      // `ip netns add` bind-mounts the netns file: counted as a netns leak below.
      if (point.startsWith("/run/netns/") || point.startsWith("/var/run/netns/")) continue;
      out.push({ kind: "mount", what: `${point} (${line.split(" - ")[1] ?? ""})` });
    }
  }
  return out;
}

function cgroupLeaks(): Leak[] {
  const r = spawnSync("find", ["/sys/fs/cgroup", "-type", "d", "(", "-name", `${ID_PREFIX}*`, "-o", "-name", "*oci-run*", "-o", "-name", "*oci-tools*", ")"], { encoding: "utf8" });
  return r.stdout.split("\n").filter(Boolean).map((what) => ({ kind: "cgroup" as const, what }));
}

function processLeaks(): Leak[] {
  const out: Leak[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (pid === process.pid) continue;
    let root = "";
    let cmdline = "";
    let ppid = 0;
    let cgroup = "";
    try {
      cgroup = readFileSync(`/proc/${pid}/cgroup`, "utf8");
      root = readlinkSync(`/proc/${pid}/root`);
      cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ").trim();
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    } catch {
      continue; // gone, or a kernel thread
    }
    const inTestRootfs = root.includes(`/tmp/${TEST_PREFIX}-`);
    const mentionsTest = cmdline.includes(`/tmp/${TEST_PREFIX}-`) || cmdline.includes(`${ID_PREFIX}-`);
    // Container processes: their root may read as "/" from here, but their cgroup names the container.
    const inTestCgroup = cgroup.includes(`/${ID_PREFIX}-`);
    const ourChild = ppid === process.pid && !cmdline.startsWith("find ") && !cmdline.startsWith("ip ");
    if (inTestRootfs || mentionsTest || inTestCgroup || ourChild) out.push({ kind: "process", what: `${pid} ${cmdline || "?"} (root ${root})` });
  }
  return out;
}

function netnsLeaks(): Leak[] {
  let names: string[] = [];
  try {
    names = readdirSync("/var/run/netns");
  } catch {
    return [];
  }
  return names.filter((n) => n.startsWith(ID_PREFIX)).map((n) => ({ kind: "netns" as const, what: `/var/run/netns/${n}` }));
}

function stateLeaks(): Leak[] {
  const out: Leak[] = [];
  for (const n of readdirSync("/tmp")) {
    // scratchDir() makes /tmp/oci-tools-test-XXXXXX (mkdtemp); test/run.sh's log dir is not one.
    if (!new RegExp(`^${TEST_PREFIX}-[A-Za-z0-9]{6}$`).test(n)) continue;
    out.push({ kind: "state", what: `/tmp/${n}` });
  }
  for (const root of ["/run/oci-tools", "/run/runc"]) {
    try {
      if (!statSync(root).isDirectory()) continue;
      for (const id of readdirSync(root)) if (id.startsWith(ID_PREFIX)) out.push({ kind: "state", what: `${root}/${id}` });
    } catch {
      /* no such root */
    }
  }
  return out;
}

export function findLeaks(): Leak[] {
  return [...mountLeaks(), ...cgroupLeaks(), ...processLeaks(), ...netnsLeaks(), ...stateLeaks()];
}

const key = (l: Leak) => `${l.kind}:${l.what}`;

/**
 * Leaks present now that were not in `before`. Other suites may run at the
 * same time on this machine, so a test passes `mine` (its scratch dir, its id
 * prefix) to look only at what it could have made.
 */
export function newLeaks(before: readonly Leak[], mine?: readonly string[]): Leak[] {
  const seen = new Set(before.map(key));
  return findLeaks().filter((l) => !seen.has(key(l)) && (mine === undefined || mine.some((m) => l.what.includes(m))));
}

export function formatLeaks(leaks: readonly Leak[]): string {
  return leaks.map((l) => `  ${l.kind}: ${l.what}`).join("\n");
}

if (import.meta.main) {
  const leaks = findLeaks();
  if (leaks.length > 0) {
    console.error(`leak check: ${leaks.length} leftover(s)\n${formatLeaks(leaks)}`);
    process.exit(1);
  }
  console.log("leak check: nothing leaked");
}
