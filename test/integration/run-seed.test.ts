/**
 * The seed's container (issue 3): every field of the article's config,
 * looked at from inside the container.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, statSync } from "node:fs";
import { TestEnv } from "../lib/container.ts";
import { SEED_CAP_MASK, seedBundle, type SeedBundle } from "../lib/seed.ts";

let env: TestEnv;
let seed: SeedBundle;
let out = "";
let err = "";
let code = -1;

const SCRIPT = [
  "grep -E '^(CapBnd|CapEff|CapPrm|CapInh|CapAmb|NoNewPrivs):' /proc/self/status",
  "echo nofile=$(ulimit -n)",
  "if touch /rootwrite 2>/dev/null; then echo rootwrite=ok; else echo rootwrite=fail; fi",
  "grep ' /tmp ' /proc/self/mountinfo | sed 's/^/tmpmount=/'",
  "echo tmpblocks=$(df -k /tmp | tail -1 | awk '{print $2}')",
  "echo from-container > /data/written && echo datawrite=ok",
  "echo netns=$(readlink /proc/self/ns/net)",
  "echo uid=$(id -u) gid=$(id -g)",
  "exit 7",
].join("; ");

beforeAll(async () => {
  env = new TestEnv();
  seed = await seedBundle(env, "seed", ["sh", "-c", SCRIPT]);
  const r = env.ociRun("run", "--bundle", seed.bundle, env.id("seed"));
  out = r.stdout;
  err = r.stderr;
  code = r.code;
});

afterAll(() => {
  env.finish();
});

const line = (key: string) => out.split("\n").find((l) => l.startsWith(key)) ?? "";

describe("the seed container, from inside", () => {
  test("it ran and exited with the script's status", () => {
    expect(err).toBe("");
    expect(code).toBe(7);
  });
  test("capabilities: exactly CAP_AUDIT_WRITE, CAP_KILL, CAP_NET_BIND_SERVICE", () => {
    expect(line("CapBnd:")).toBe(`CapBnd:\t${SEED_CAP_MASK}`);
    expect(line("CapEff:")).toBe(`CapEff:\t${SEED_CAP_MASK}`);
    expect(line("CapPrm:")).toBe(`CapPrm:\t${SEED_CAP_MASK}`);
  });
  test("noNewPrivileges", () => expect(line("NoNewPrivs:")).toBe("NoNewPrivs:\t1"));
  test("RLIMIT_NOFILE 1024", () => expect(line("nofile=")).toBe("nofile=1024"));
  test("read-only root", () => expect(line("rootwrite=")).toBe("rootwrite=fail"));
  test("/tmp is a 64 MiB tmpfs with nosuid and mode 755", () => {
    const m = line("tmpmount=");
    expect(m).toContain(" - tmpfs ");
    expect(m).toMatch(/ \/tmp rw,nosuid[ ,]/);
    expect(m).toContain("size=65536k");
    expect(m).toContain("mode=755");
    expect(line("tmpblocks=")).toBe("tmpblocks=65536");
  });
  test("/data writes reach the host directory", () => {
    expect(line("datawrite=")).toBe("datawrite=ok");
    expect(readFileSync(`${seed.dataDir}/written`, "utf8")).toBe("from-container\n");
  });
  test("the network namespace joined is the one `ip netns add` made", () => {
    expect(line("netns=")).toBe(`netns=net:[${statSync(seed.netns).ino}]`);
  });
  test("runs as uid 0 gid 0", () => expect(line("uid=")).toBe("uid=0 gid=0"));
});
