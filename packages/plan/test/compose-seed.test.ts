/**
 * The seed's config (rc1 fragments merged into `oci-spec init` output, then
 * upgraded by oci-spec) through all three planners and the composer: the
 * ops the issue asks for, in order.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { planProcess } from "../../caps/src/index.ts";
import { MS, planRootfs } from "../../mount/src/index.ts";
import { planNamespaces } from "../../ns/src/index.ts";
import { defaultSpec, specFromValue } from "../../spec/src/index.ts";
import { composePlan, type Op } from "../src/index.ts";

function seedFragments(): Record<string, any> {
  for (const url of ["/work/shared/fixtures/seed-config-fragments.json", new URL("../../../test/fixtures/spec/seed-config-fragments.json", import.meta.url)]) {
    try {
      return JSON.parse(readFileSync(url, "utf8"));
    } catch {}
  }
  throw new Error("seed-config-fragments.json not found");
}

/** What a user does with the fragments: edit them into `oci-spec init` output (namespaces merged by type). */
function seedConfig(): Record<string, any> {
  const base = defaultSpec() as unknown as Record<string, any>;
  const frag = seedFragments();
  const extra: { type: string }[] = frag.linux?.namespaces ?? [];
  return {
    ...base,
    ...frag,
    process: { ...base.process, ...frag.process },
    linux: { ...base.linux, ...frag.linux, namespaces: [...base.linux.namespaces.filter((n: { type: string }) => !extra.some((e) => e.type === n.type)), ...extra] },
  };
}

const BUNDLE = "/bundles/seed";
const caps = (1n << 29n) | (1n << 5n) | (1n << 10n); // CAP_AUDIT_WRITE, CAP_KILL, CAP_NET_BIND_SERVICE

describe("the seed config", () => {
  const spec = specFromValue(seedConfig(), "seed");
  const namespaces = planNamespaces(spec);
  const rootfs = planRootfs(spec, {
    bundleDir: BUNDLE,
    namespaces,
    sourceKinds: new Map([["/volumes/testing", "dir"]]),
  });
  const plan = composePlan({
    containerId: "mycontainer",
    stage0: "exit",
    cgroupProcs: ["/sys/fs/cgroup/pids/mycontainer/cgroup.procs"],
    fragments: [{ namespaces }, rootfs, planProcess(spec)],
    process: { args: spec.process!.args!, env: spec.process!.env ?? [], preserveFds: 0, execFifo: "/run/oci-tools/mycontainer/exec.fifo" },
  });

  test("joins the netns by path, creates the default rest", () => {
    expect(plan.namespaces).toEqual({ join: [{ type: "network", path: "/var/run/netns/runc" }], create: ["ipc", "uts", "pid", "mount"] });
  });

  test("ops: hostname, rslave /, rootfs, tmpfs /tmp, bind /data, /dev, pivot, read-only root, paths, privileges", () => {
    const dev: Op[] = [
      { op: "mkdir", path: "/dev", mode: 0o755 },
      ...(
        [
          ["/dev/null", 1, 3],
          ["/dev/random", 1, 8],
          ["/dev/full", 1, 7],
          ["/dev/tty", 5, 0],
          ["/dev/zero", 1, 5],
          ["/dev/urandom", 1, 9],
        ] as const
      ).map(([path, major, minor]): Op => ({ op: "mknod", path, kind: "c", major, minor, mode: 0o666, uid: 0, gid: 0 })),
      { op: "symlink", target: "pts/ptmx", linkpath: "/dev/ptmx" },
      { op: "symlink", target: "/proc/self/fd", linkpath: "/dev/fd" },
      { op: "symlink", target: "/proc/self/fd/0", linkpath: "/dev/stdin" },
      { op: "symlink", target: "/proc/self/fd/1", linkpath: "/dev/stdout" },
      { op: "symlink", target: "/proc/self/fd/2", linkpath: "/dev/stderr" },
    ];
    expect(plan.ops).toEqual([
      { op: "sethostname", name: "runc" },
      { op: "propagate", target: "/", flags: MS.SLAVE | MS.REC },
      { op: "bind-rootfs", path: "/bundles/seed/rootfs" },
      { op: "mount", source: "tmpfs", target: "/tmp", fstype: "tmpfs", flags: MS.NOSUID | MS.STRICTATIME, data: "mode=755,size=65536k", create: "dir" },
      { op: "mount", source: "/volumes/testing", target: "/data", fstype: "bind", flags: MS.BIND | MS.REC, data: "", create: "dir" },
      ...dev,
      { op: "pivot-root" },
      { op: "readonly-root" },
      ...spec.linux.readonlyPaths.map((path): Op => ({ op: "readonly-path", path })),
      ...spec.linux.maskedPaths.map((path): Op => ({ op: "mask-path", path })),
      { op: "rlimit", resource: 7, name: "RLIMIT_NOFILE", soft: 1024n, hard: 1024n },
      { op: "umask", mask: 0o022 },
      { op: "no-new-privs" },
      // The seed's env has no HOME: native sets it from the container's /etc/passwd (runc 1.1).
      { op: "home-from-passwd", uid: 0, startHooks: [] },
      { op: "identity", uid: 0, gid: 0, additionalGids: [], caps: { bounding: caps, effective: caps, permitted: caps, inheritable: 0n, ambient: 0n } },
      { op: "chdir", path: "/" },
    ]);
  });

  test("the exact flags the issue names", () => {
    const tmp = plan.ops.find((o) => o.op === "mount" && o.target === "/tmp");
    expect(tmp).toMatchObject({ flags: 0x2 | 0x1000000, data: "mode=755,size=65536k" }); // MS_NOSUID | MS_STRICTATIME
    const data = plan.ops.find((o) => o.op === "mount" && o.target === "/data");
    expect(data).toMatchObject({ flags: 0x1000 | 0x4000 }); // MS_BIND | MS_REC, and rw: no MS_RDONLY remount
    expect(data).not.toHaveProperty("remountFlags");
  });

  test("process and cgroup pass through", () => {
    expect(plan.process).toEqual({ args: ["sh"], env: spec.process!.env!, preserveFds: 0, execFifo: "/run/oci-tools/mycontainer/exec.fifo" });
    expect(plan.cgroupProcs).toEqual(["/sys/fs/cgroup/pids/mycontainer/cgroup.procs"]);
  });
});
