/**
 * The contract between the planners and native: the default config
 * (`oci-spec init`, args replaced) planned by oci-ns/oci-mount/oci-caps,
 * composed, encoded and executed by oci-init on a busybox rootfs.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { makeRootfs, type TestRootfs } from "../lib/rootfs.ts";
import { runPlan } from "../lib/oci-init.ts";
import { planProcess } from "../../packages/caps/src/index.ts";
import { planRootfs } from "../../packages/mount/src/index.ts";
import { planNamespaces } from "../../packages/ns/src/index.ts";
import { defaultSpec, specFromValue } from "../../packages/spec/src/index.ts";
import { composePlan } from "../../packages/plan/src/index.ts";

let fs: TestRootfs;
beforeAll(() => (fs = makeRootfs()));
afterAll(() => fs.cleanup());

function planFor(script: string, edit: (c: Record<string, any>) => void = () => {}) {
  const config = JSON.parse(JSON.stringify(defaultSpec())) as Record<string, any>;
  config.process.terminal = false;
  config.process.args = ["sh", "-c", script];
  config.root = { path: "rootfs", readonly: true };
  if (config.process.capabilities) config.process.capabilities.ambient = []; // the caps planner refuses ambient outside inheritable
  config.mounts = config.mounts.filter((m: { type?: string }) => m.type !== "cgroup"); // needs the host layout (oci-cgroup); not native's concern
  edit(config);
  const spec = specFromValue(config, "default");
  const namespaces = planNamespaces(spec);
  const rootfs = planRootfs(spec, { bundleDir: fs.dir, namespaces, sourceKinds: new Map() });
  return composePlan({
    containerId: "octest-planners",
    stage0: "wait",
    cgroupProcs: [],
    fragments: [{ namespaces }, rootfs, planProcess(spec)],
    process: { args: spec.process!.args!, env: spec.process!.env ?? [], preserveFds: 0 },
  });
}

test("the default config runs: pid 1, hostname, read-only root, caps, masked paths, devices", async () => {
  const plan = planFor(
    "echo $$; hostname; touch /x 2>&1; grep -E '^(CapBnd|NoNewPrivs)' /proc/self/status; cat /proc/timer_list | wc -c; ls -A /sys/firmware | wc -l; ls /dev; readlink /dev/fd; echo ok > /dev/null && echo null-ok",
  );
  const r = await runPlan(plan);
  expect(r.error).toBeUndefined();
  expect(r.stderr).toBe("");
  const out = r.stdout;
  expect(out.startsWith("1\nrunc\n")).toBe(true); // pid 1; the default hostname
  expect(out).toContain("Read-only file system");
  expect(out).toMatch(/CapBnd:\s+0000000020000420/); // AUDIT_WRITE, KILL, NET_BIND_SERVICE
  expect(out).toMatch(/NoNewPrivs:\s+1/);
  expect(out).toContain("\n0\n0\n"); // /proc/timer_list masked by /dev/null, /sys/firmware by an empty tmpfs
  for (const d of ["null", "zero", "full", "random", "urandom", "tty", "pts", "shm", "mqueue"]) expect(out).toContain(`${d}\n`);
  expect(out).toContain("/proc/self/fd\n");
  expect(out).toContain("null-ok\n");
  expect(r.code).toBe(0);
});

test("the default config with a user namespace (id maps, devices bound instead of mknod)", async () => {
  const { chmodSync } = await import("node:fs");
  chmodSync(fs.dir, 0o755); // the mapped root must reach the rootfs
  const plan = planFor("id -u; cat /proc/self/uid_map; echo x > /dev/null && echo null-ok", (c) => {
    c.linux.namespaces.push({ type: "user" });
    c.linux.uidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
    c.linux.gidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
    c.root.readonly = false;
  });
  const r = await runPlan(plan);
  expect(r.error).toBeUndefined();
  expect(r.stdout.split("\n").map((l) => l.trim().split(/\s+/).join(" "))).toEqual(["0", "0 200000 65536", "null-ok", ""]);
  expect(r.code).toBe(0);
});
