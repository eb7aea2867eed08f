/**
 * Lifecycle benchmark: oci-run side by side with runc and crun in one
 * hyperfine run per measurement, printed as medians and ratios to runc.
 *
 *   bun bench/lifecycle.ts [--runs N] [--containers N]
 *
 * - run of /bin/true; create, start and delete separately; state and list
 *   with 100 containers present; RSS of a created, not yet started init.
 * - oci-run is the compiled binary: $OCI_TOOLS_BIN_DIR/oci-run when set, else the
 *   current sources built into a temp dir with bun build --compile --bytecode.
 * - crun runs through `unshare -m sh -c 'umount /sys/fs/cgroup/unified; crun …'`
 *   on a hybrid cgroup host (crun 1.8 refuses the empty unified hierarchy); the
 *   wrapper's own cost is measured too ("crun wrapper") so it can be subtracted.
 * - The bundle's ociVersion is 1.0.2: crun 1.8 rejects newer versions.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeBundle } from "../test/lib/bundle.ts";
import { repoRoot } from "../test/lib/tools.ts";

const args = process.argv.slice(2);
const opt = (name: string, dflt: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const RUNS = opt("--runs", 30);
const CONTAINERS = opt("--containers", 100);

const work = mkdtempSync("/tmp/oci-tools-bench-");
const hasCrun = spawnSync("crun", ["--version"]).status === 0;
const hasRunc = spawnSync("runc", ["--version"]).status === 0;

function ociRunBinary(): string {
  // An explicit build dir wins; otherwise build the current sources (dist/bin may be stale).
  const dir = process.env.OCI_TOOLS_BIN_DIR;
  if (dir && existsSync(join(dir, "oci-run"))) return join(dir, "oci-run");
  const out = join(work, "oci-run");
  execFileSync(join(repoRoot, "node_modules", ".bin", "bun"), ["build", "--compile", "--bytecode", "--format=esm", "--minify", "--splitting", "--sourcemap=none", join(repoRoot, "packages/run/src/bin.ts"), "--outfile", out], { stdio: "ignore" });
  return out;
}

const ociRun = ociRunBinary();
// oci-init beside a dist/bin binary, else the native build.
if (!existsSync(join(ociRun, "..", "oci-init")) && !process.env.OCI_TOOLS_NATIVE_DIR) process.env.OCI_TOOLS_NATIVE_DIR = join(repoRoot, "native", "build");

interface Runtime {
  readonly name: string;
  /** A shell command line running the runtime with `rest`. */
  cmd(rest: string): string;
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
const runtimes: Runtime[] = [
  { name: "oci-run", cmd: (rest) => `${q(ociRun)} --root ${q(join(work, "root-oci"))} ${rest}` },
  ...(hasRunc ? [{ name: "runc", cmd: (rest: string) => `runc --root ${q(join(work, "root-runc"))} ${rest}` }] : []),
  ...(hasCrun
    ? [{ name: "crun", cmd: (rest: string) => `unshare -m sh -c ${q(`umount /sys/fs/cgroup/unified 2>/dev/null; crun --root ${join(work, "root-crun")} ${rest}`)}` }]
    : []),
];

/** Output through a file, not a pipe: a created container inherits the runtime's stdio and would hold a pipe open. */
function sh(line: string): { code: number; out: string } {
  const file = join(work, "sh.out");
  const fd = openSync(file, "w");
  try {
    const r = spawnSync("sh", ["-c", line], { stdio: ["ignore", fd, fd] });
    return { code: r.status ?? 1, out: readFileSync(file, "utf8") };
  } finally {
    closeSync(fd);
  }
}

interface Measured {
  readonly label: string;
  readonly medians: Map<string, number>;
}

const results: Measured[] = [];

/** One hyperfine invocation with a command per runtime; returns medians (ms). */
function hyperfine(label: string, make: (r: Runtime) => { cmd: string; prepare?: string }, extra: { name: string; cmd: string }[] = []): void {
  const json = join(work, `hf-${results.length}.json`);
  const hfArgs = ["-N", "--warmup", "3", "--runs", String(RUNS), "--export-json", json, "--style", "basic"];
  const entries = runtimes.map((r) => ({ name: r.name, ...make(r) }));
  for (const e of entries) {
    // -N runs prepare commands without a shell too: wrap them.
    if (e.prepare) hfArgs.push("--prepare", `sh -c ${q(e.prepare)}`);
    hfArgs.push("--command-name", e.name, e.cmd);
  }
  for (const e of extra) {
    if (entries.some((x) => x.prepare)) hfArgs.push("--prepare", "true");
    hfArgs.push("--command-name", e.name, e.cmd);
  }
  const log = join(work, "hf.log");
  const fd = openSync(log, "w");
  const r = spawnSync("hyperfine", hfArgs, { stdio: ["ignore", fd, fd] });
  closeSync(fd);
  if (r.status !== 0) throw new Error(`hyperfine (${label}) failed:\n${readFileSync(log, "utf8")}`);
  const data = JSON.parse(readFileSync(json, "utf8")) as { results: { command: string; median: number }[] };
  results.push({ label, medians: new Map(data.results.map((x) => [x.command, x.median * 1000])) });
  process.stderr.write(`  measured: ${label}\n`);
}

function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) : NaN;
}

function statePid(r: Runtime, id: string): number {
  const s = sh(r.cmd(`state ${id}`));
  return (JSON.parse(s.out) as { pid: number }).pid;
}

async function main(): Promise<void> {
  const bundle = await makeBundle(work, "bundle", {
    edit: (c) => {
      c.ociVersion = "1.0.2";
      c.process.args = ["/bin/true"];
    },
  });
  const sleeper = await makeBundle(work, "sleeper", {
    edit: (c) => {
      c.ociVersion = "1.0.2";
      c.process.args = ["sleep", "3600"];
    },
  });
  for (const r of runtimes) {
    const check = sh(r.cmd(`run -b ${q(bundle)} ocibench-check`));
    if (check.code !== 0) throw new Error(`${r.name} cannot run the bench bundle: ${check.out}`);
  }
  const id = "ocibench-1";
  hyperfine("run /bin/true", (r) => ({ cmd: r.cmd(`run -b ${q(bundle)} ${id}`) }),
    hasCrun ? [{ name: "crun wrapper (unshare+umount only)", cmd: `unshare -m sh -c 'umount /sys/fs/cgroup/unified 2>/dev/null; true'` }] : []);
  hyperfine("create", (r) => ({ prepare: r.cmd(`delete -f ${id}`), cmd: r.cmd(`create -b ${q(sleeper)} ${id}`) }));
  hyperfine("start", (r) => ({ prepare: `${r.cmd(`delete -f ${id}`)}; ${r.cmd(`create -b ${q(sleeper)} ${id}`)}`, cmd: r.cmd(`start ${id}`) }));
  hyperfine("delete -f (running)", (r) => ({ prepare: `${r.cmd(`delete -f ${id}`)}; ${r.cmd(`run -d -b ${q(sleeper)} ${id}`)}`, cmd: r.cmd(`delete -f ${id}`) }));
  for (const r of runtimes) sh(r.cmd(`delete -f ${id}`));

  // Memory of a created, not yet started init.
  const rss = new Map<string, number>();
  for (const r of runtimes) {
    sh(r.cmd(`create -b ${q(sleeper)} ocibench-rss`));
    rss.set(r.name, rssKiB(statePid(r, "ocibench-rss")));
    sh(r.cmd(`delete -f ocibench-rss`));
  }

  // state and list with many containers present.
  const ids = Array.from({ length: CONTAINERS }, (_, i) => `ocibench-many-${i}`);
  for (const r of runtimes) for (const c of ids) {
    const res = sh(r.cmd(`create -b ${q(sleeper)} ${c}`));
    if (res.code !== 0) throw new Error(`${r.name} create ${c}: ${res.out}`);
  }
  hyperfine(`state (${CONTAINERS} containers)`, (r) => ({ cmd: r.cmd(`state ${ids[Math.floor(CONTAINERS / 2)]}`) }));
  hyperfine(`list (${CONTAINERS} containers)`, (r) => ({ cmd: r.cmd("list") }));
  hyperfine(`list --format json (${CONTAINERS} containers)`, (r) => ({ cmd: r.cmd("list --format json") }));
  for (const r of runtimes) for (const c of ids) sh(r.cmd(`delete -f ${c}`));

  // Report.
  const names = runtimes.map((r) => r.name);
  const base = hasRunc ? "runc" : names[0]!;
  const lines: string[] = [];
  lines.push(`| measurement (median ms) | ${names.join(" | ")} | ${names.filter((n) => n !== base).map((n) => `${n}/${base}`).join(" | ")} |`);
  lines.push(`|---|${names.map(() => "---:").join("|")}|${names.filter((n) => n !== base).map(() => "---:").join("|")}|`);
  for (const m of results) {
    const v = names.map((n) => m.medians.get(n) ?? NaN);
    const b = m.medians.get(base) ?? NaN;
    const ratios = names.filter((n) => n !== base).map((n) => ((m.medians.get(n) ?? NaN) / b).toFixed(2));
    lines.push(`| ${m.label} | ${v.map((x) => x.toFixed(1)).join(" | ")} | ${ratios.join(" | ")} |`);
    for (const [k, x] of m.medians) if (!names.includes(k)) lines.push(`| ↳ ${k} | ${x.toFixed(1)} | | |`);
  }
  const rb = rss.get(base) ?? NaN;
  lines.push(`| RSS of a created init (KiB) | ${names.map((n) => String(rss.get(n))).join(" | ")} | ${names.filter((n) => n !== base).map((n) => ((rss.get(n) ?? NaN) / rb).toFixed(2)).join(" | ")} |`);
  const report = lines.join("\n");
  console.log(report);
  mkdirSync(join(repoRoot, "bench", "results"), { recursive: true });
  writeFileSync(join(repoRoot, "bench", "results", "lifecycle.md"), `${report}\n`);
}

try {
  await main();
} finally {
  for (const r of runtimes) {
    const list = sh(r.cmd("list -q")).out.split("\n").filter((x) => x.startsWith("ocibench-"));
    for (const c of list) sh(r.cmd(`delete -f ${c}`));
  }
  rmSync(work, { recursive: true, force: true });
}
