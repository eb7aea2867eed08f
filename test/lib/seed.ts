/**
 * The seed's container: the article's rc1 config fragments
 * (/work/shared/fixtures/seed-config-fragments.json, copied below so the
 * test does not depend on a path outside the repo) merged into the default
 * config of `oci-spec init`. Two deliberate differences, both other issues:
 * terminal is false (terminals) and the hooks are left out (hooks).
 */
import { mkdirSync } from "node:fs";
import type { TestEnv } from "./container.ts";

export const SEED_FRAGMENTS = {
  ociVersion: "1.0.0-rc1",
  platform: { os: "linux", arch: "amd64" },
  process: {
    terminal: true,
    user: { uid: 0, gid: 0 },
    args: ["sh"],
    env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
    cwd: "/",
    capabilities: ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
    rlimits: [{ type: "RLIMIT_NOFILE", hard: 1024, soft: 1024 }],
    noNewPrivileges: true,
  },
  root: { path: "rootfs", readonly: true },
  mounts: [
    { destination: "/tmp", type: "tmpfs", source: "tmpfs", options: ["nosuid", "strictatime", "mode=755", "size=65536k"] },
    { destination: "/data", type: "bind", source: "/volumes/testing", options: ["rbind", "rw"] },
  ],
  linux: { namespaces: [{ type: "network", path: "/var/run/netns/runc" }] },
} as const;

/** CAP_AUDIT_WRITE (29) | CAP_KILL (5) | CAP_NET_BIND_SERVICE (10), as /proc/self/status prints it. */
export const SEED_CAP_MASK = "0000000020000420";

export interface SeedBundle {
  readonly bundle: string;
  /** The host directory bound on /data. */
  readonly dataDir: string;
  /** The netns file the container joins. */
  readonly netns: string;
}

/** Builds the seed bundle in `env` with `args` as the process (the seed's `sh` reads a terminal). */
export async function seedBundle(env: TestEnv, name: string, args: readonly string[]): Promise<SeedBundle> {
  const netns = env.addNetns("seed");
  const dataDir = `${env.dir}/${name}-data`;
  mkdirSync(dataDir, { recursive: true });
  const bundle = await env.bundle(name, {
    edit: (c) => {
      const f = SEED_FRAGMENTS;
      c.ociVersion = f.ociVersion;
      c.platform = f.platform;
      c.process = { ...c.process, ...JSON.parse(JSON.stringify(f.process)), terminal: false, args: [...args] };
      c.root = { ...f.root };
      c.mounts = [...c.mounts, ...f.mounts.map((m) => ({ ...m, options: [...m.options], source: m.destination === "/data" ? dataDir : m.source }))];
      c.linux.namespaces = c.linux.namespaces.map((n: { type: string }) => (n.type === "network" ? { type: "network", path: netns } : n));
    },
  });
  return { bundle, dataDir, netns };
}
