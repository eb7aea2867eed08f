/**
 * A real container lifecycle under pure cgroup v2 through the built oci-run:
 * the init lands in the container's cgroup, sees its own cgroup namespace
 * root and a cgroup2 mount of that cgroup at /sys/fs/cgroup; limits are
 * applied and enforced; kill --all reaches every process (cgroup.kill);
 * delete removes the cgroup; absolute and relative cgroupsPath; and nothing
 * is left behind.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { TestEnv } from "../lib/container.ts";
import { toolCommand } from "../lib/tools.ts";
import { findLeaks, formatLeaks, newLeaks, type Leak } from "../leak-check.ts";
import { CGROUP_ROOT, alive, copyRootfs, onV2, procsOf, read, stageBinaries, waitFor } from "./lib.ts";

let env: TestEnv | undefined;
let before: Leak[] = [];
const parents: string[] = [];

beforeAll(() => {
  if (!onV2) return;
  stageBinaries();
  before = findLeaks();
  env = new TestEnv();
});

afterAll(() => {
  // Normally a no-op: the last test cleans up and checks; this is for a failed run.
  if (!env) return;
  env.cleanup();
  for (const p of parents.reverse()) spawnSync("rmdir", [p]);
});

/**
 * A bundle whose container runs `script` with a cgroup namespace and a
 * writable rootfs (the script leaves what it saw in files there), a real
 * copy of a busybox rootfs on the VM's tmpfs (see copyRootfs).
 */
async function bundle(
  name: string,
  script: string,
  linux: Record<string, unknown> = {},
  edit: (c: Record<string, any>) => void = () => {},
): Promise<{ dir: string; rootfs: string }> {
  const dir = await env!.bundle(name, {
    noRootfs: true,
    edit: (c) => {
      c.process.args = ["sh", "-c", script];
      c.root.readonly = false;
      c.linux.namespaces.push({ type: "cgroup" });
      Object.assign(c.linux, linux);
      edit(c);
    },
  });
  const rootfs = join(dir, "rootfs");
  copyRootfs(rootfs);
  return { dir, rootfs };
}

function stateOf(id: string): { status: string; pid: number } {
  const r = env!.ociRun("state", id);
  expect(r.stderr).toBe("");
  return JSON.parse(r.stdout) as { status: string; pid: number };
}

/** The script's report: what the container saw, once it wrote /ready. */
async function ready(rootfs: string): Promise<void> {
  await waitFor(() => existsSync(join(rootfs, "ready")), 60_000, "the container to write /ready");
}

const SEES = [
  "cat /proc/self/cgroup > /seen-cgroup",
  "grep -F ' /sys/fs/cgroup ' /proc/self/mountinfo > /seen-mount",
  "cat /sys/fs/cgroup/cgroup.procs > /seen-procs",
].join("; ");

describe.skipIf(!onV2)("oci-run on cgroup v2", () => {
  test("create → start → kill --all → delete, default cgroupsPath, limits", async () => {
    const id = env!.id("life");
    const { dir: b, rootfs } = await bundle("life", `${SEES}; sleep 1000 & sleep 1000 & sleep 1000 & touch /ready; wait`, {
      resources: { pids: { limit: 20 }, memory: { limit: 256 * 1024 * 1024 } },
    });
    const cg = `${CGROUP_ROOT}/${id}`; // the runtime runs in the root cgroup here, so <id> hangs off it

    const created = env!.ociRun("create", "--bundle", b, id);
    expect(created.stderr).toBe("");
    expect(created.code).toBe(0);
    const { pid, status } = stateOf(id);
    expect(status).toBe("created");
    // The init waits in its cgroup already (oci-init joins it before cloning).
    expect(read(`/proc/${pid}/cgroup`)).toBe(`0::/${id}\n`);
    await waitFor(() => procsOf(cg).join() === String(pid), 10_000, "only the init in the cgroup (stage 0 gone)");
    expect(read(`${cg}/pids.max`).trim()).toBe("20");
    expect(read(`${cg}/memory.max`).trim()).toBe(String(256 * 1024 * 1024));

    const started = env!.ociRun("start", id);
    expect(started.stderr).toBe("");
    expect(started.code).toBe(0);
    await ready(rootfs);
    // Its own cgroup namespace: it is at the root of it...
    expect(read(join(rootfs, "seen-cgroup"))).toBe("0::/\n");
    // ...and /sys/fs/cgroup is a cgroup2 mount of that root (so its own cgroup's files).
    const mount = read(join(rootfs, "seen-mount")).trim().split("\n");
    expect(mount.length).toBe(1);
    const [pre, post] = mount[0]!.split(" - ") as [string, string];
    expect(pre.split(" ")[3]).toBe("/");
    expect(post.split(" ")[0]).toBe("cgroup2");
    expect(pre.split(" ")[5]!.split(",")).toContain("ro"); // the default config mounts it ro
    const seenProcs = read(join(rootfs, "seen-procs")).split("\n").filter(Boolean).map(Number);
    expect(seenProcs).toContain(1); // pids of its own pid namespace: sh is 1

    let pids: number[] = [];
    await waitFor(() => (pids = procsOf(cg)).length >= 4, 30_000, "sh and three sleeps");
    expect(pids).toContain(pid);
    expect(stateOf(id).status).toBe("running");

    const killed = env!.ociRun("kill", "--all", id, "KILL");
    expect(killed.stderr).toBe("");
    expect(killed.code).toBe(0);
    await waitFor(() => procsOf(cg).length === 0, 30_000, "an empty cgroup");
    for (const p of pids) await waitFor(() => !alive(p) || read(`/proc/${p}/stat`).split(") ")[1]?.[0] === "Z", 10_000, `pid ${p} to die`);
    expect(stateOf(id).status).toBe("stopped");

    const deleted = env!.ociRun("delete", id);
    expect(deleted.stderr).toBe("");
    expect(deleted.code).toBe(0);
    expect(existsSync(cg)).toBe(false);
    expect(existsSync(join(env!.root, id))).toBe(false);
  });

  test("absolute cgroupsPath: nested under new parents, pids limit enforced; paused, then delete --force", async () => {
    const id = env!.id("abs");
    const top = `${CGROUP_ROOT}/${id}-top`;
    parents.push(top);
    const path = `/${id}-top/ctr`;
    // Forking in a subshell until the limit refuses: sh, the subshell and two sleeps make 4.
    const { dir: b, rootfs } = await bundle("abs", "(for i in 1 2 3 4 5 6; do sleep 1000 & done) 2>/fork-err; touch /ready; exec sleep 1000", {
      cgroupsPath: path,
      resources: { pids: { limit: 4 } },
    });
    const cg = `${CGROUP_ROOT}${path}`;
    const r = env!.ociRun("run", "--detach", "--bundle", b, id);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const { pid } = stateOf(id);
    expect(read(`/proc/${pid}/cgroup`)).toBe(`0::${path}\n`);
    expect(read(`${top}/cgroup.subtree_control`).split(/\s+/)).toContain("pids");
    expect(read(`${cg}/pids.max`).trim()).toBe("4");
    await ready(rootfs);
    expect(read(join(rootfs, "fork-err"))).toContain("fork");
    expect(Number(/^max (\d+)$/m.exec(read(`${cg}/pids.events`))?.[1])).toBeGreaterThan(0);
    expect(procsOf(cg).length).toBeLessThanOrEqual(4);

    // Paused (frozen through cgroup.freeze): state says so, and delete --force still empties it.
    writeFileSync(`${cg}/cgroup.freeze`, "1");
    await waitFor(() => /^frozen 1$/m.test(read(`${cg}/cgroup.events`)), 30_000, "frozen 1");
    expect(stateOf(id).status).toBe("paused");
    const d = env!.ociRun("delete", "--force", id);
    expect(d.stderr).toBe("");
    expect(d.code).toBe(0);
    expect(existsSync(cg)).toBe(false);
    expect(existsSync(top)).toBe(true); // parents stay, as with runc (removed by the last test)
  });

  test("relative cgroupsPath hangs off the runtime's own cgroup; delete removes the container's own sub-cgroups", async () => {
    const id = env!.id("rel");
    const own = `${CGROUP_ROOT}/${id}-own`;
    mkdirSync(own);
    parents.push(own, `${own}/${id}-rel`);
    // A writable cgroup2 mount: the container (root of its cgroup namespace,
    // delegated by nsdelegate) makes a sub-cgroup and moves its init there,
    // as systemd in a container does.
    const script = `${SEES}; mkdir /sys/fs/cgroup/sub && echo 1 > /sys/fs/cgroup/sub/cgroup.procs && cat /proc/self/cgroup > /seen-sub; touch /ready; exec sleep 1000`;
    const { dir: b, rootfs } = await bundle("rel", script, { cgroupsPath: `${id}-rel/ctr` }, (c) => {
      const m = c.mounts.find((x: { destination: string }) => x.destination === "/sys/fs/cgroup");
      m.options = m.options.filter((o: string) => o !== "ro");
    });
    // create from inside <root>/<id>-own (the way a shell in a session scope would).
    const [cmd, ...pre] = toolCommand("oci-run");
    const out = join(env!.dir, "rel.out");
    const fd = openSync(out, "w");
    let code: number | null;
    try {
      code = spawnSync("sh", ["-c", `echo $$ > ${own}/cgroup.procs && exec "$@"`, "sh", cmd!, ...pre, "--root", env!.root, "create", "--bundle", b, id], {
        stdio: ["ignore", fd, fd],
        timeout: 120_000,
      }).status;
    } finally {
      closeSync(fd);
    }
    expect(readFileSync(out, "utf8")).toBe("");
    rmSync(out);
    expect(code).toBe(0);
    const { pid } = stateOf(id);
    const path = `/${id}-own/${id}-rel/ctr`;
    expect(read(`/proc/${pid}/cgroup`)).toBe(`0::${path}\n`);
    await waitFor(() => procsOf(own).length === 0, 10_000, "oci-run to leave its own cgroup"); // it exited

    expect(env!.ociRun("start", id).code).toBe(0);
    await ready(rootfs);
    expect(read(join(rootfs, "seen-cgroup"))).toBe("0::/\n");
    expect(read(join(rootfs, "seen-sub"))).toBe("0::/sub\n");
    expect(read(`/proc/${pid}/cgroup`)).toBe(`0::${path}/sub\n`);
    expect(procsOf(`${CGROUP_ROOT}${path}`)).toEqual([]); // the top of the container's cgroup is empty now

    const killed = env!.ociRun("kill", "--all", id, "KILL");
    expect(killed.stderr).toBe("");
    expect(killed.code).toBe(0);
    await waitFor(() => stateOf(id).status === "stopped", 30_000, "the container to stop");
    const d = env!.ociRun("delete", id);
    expect(d.stderr).toBe("");
    expect(d.code).toBe(0);
    expect(existsSync(`${CGROUP_ROOT}${path}`)).toBe(false);
  });

  test("nothing left behind", () => {
    env!.cleanup();
    for (const p of parents.splice(0).reverse()) spawnSync("rmdir", [p]);
    expect(formatLeaks(newLeaks(before, env!.markers))).toBe("");
  });
});
