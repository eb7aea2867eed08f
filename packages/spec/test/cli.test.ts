/**
 * oci-spec as a whole process (test/lib/tools.ts: the compiled binary when
 * OCI_TOOLS_BIN_DIR is set, else bun on src/bin.ts): every subcommand and every
 * bad-input case of issue 2.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, ftruncateSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { toolCommand } from "../../../test/lib/tools.ts";
import { defaultSpec, upgradeSpec, validateSpec } from "../src/index.ts";

const dir = mkdtempSync(join(tmpdir(), "oci-spec-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const seedFile = join(import.meta.dir, "..", "..", "..", "test", "fixtures", "spec", "seed-config-fragments.json");

interface Result {
  status: number;
  stdout: string;
  stderr: string;
}

function run(args: string[], stdin?: string | Uint8Array | "inherit-devnull"): Result {
  const proc = Bun.spawnSync([...toolCommand("oci-spec"), ...args], {
    stdin: stdin === undefined || stdin === "inherit-devnull" ? "ignore" : typeof stdin === "string" ? Buffer.from(stdin) : stdin,
    stdout: "pipe",
    stderr: "pipe",
  });
  return { status: proc.exitCode ?? -1, stdout: proc.stdout.toString(), stderr: proc.stderr.toString() };
}

/** The bad-input contract: exit 1 (or 2), one line on stderr, nothing on stdout. */
function expectOneLineError(r: Result, status: number, pattern: RegExp): void {
  expect({ status: r.status, stdout: r.stdout }).toEqual({ status, stdout: "" });
  const lines = r.stderr.split("\n").filter((l) => l !== "" && !l.startsWith("Try 'oci-spec --help'"));
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^oci-spec: /);
  expect(lines[0]).toMatch(pattern);
}

function file(name: string, content: string | Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

const defaultJson = `${JSON.stringify(defaultSpec(), null, 2)}\n`;

describe("oci-spec init", () => {
  test("writes the default config: 2-space indent, trailing newline", () => {
    const r = run(["init"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(defaultJson);
    expect(r.stderr).toBe("");
  });
  test("flags: --rootless, --terminal=false, --hostname, --rootfs, args after --", () => {
    const r = run(["init", "--rootless", "--terminal=false", "--hostname", "web", "--rootfs", "/srv/root", "--", "/bin/echo", "-n", "hi"]);
    expect(r.status).toBe(0);
    const spec = JSON.parse(r.stdout);
    expect(spec.process.args).toEqual(["/bin/echo", "-n", "hi"]);
    expect(spec.process.terminal).toBe(false);
    expect(spec.hostname).toBe("web");
    expect(spec.root.path).toBe("/srv/root");
    expect(spec.linux.namespaces.map((n: { type: string }) => n.type)).toContain("user");
    expect(spec.linux.uidMappings[0].hostID).toBe(process.geteuid!());
  });
  test("--bundle writes DIR/config.json and refuses to overwrite it", () => {
    const bundle = join(dir, "init-bundle");
    mkdirSync(bundle);
    expect(run(["init", "--bundle", bundle]).status).toBe(0);
    expect(readFileSync(join(bundle, "config.json"), "utf8")).toBe(defaultJson);
    expectOneLineError(run(["init", "--bundle", bundle]), 1, /exists; remove it first/);
  });
  test("unknown flag is a usage error (exit 2)", () => {
    expectOneLineError(run(["init", "--bogus"]), 2, /unknown flag --bogus/);
  });
});

describe("oci-spec validate", () => {
  test("a valid config: exit 0, silent", () => {
    expect(run(["validate"], defaultJson)).toEqual({ status: 0, stdout: "", stderr: "" });
    expect(run(["validate", "-"], defaultJson).status).toBe(0);
  });
  test("every violation at once, with pointers, on one stderr line", () => {
    const spec = defaultSpec() as unknown as Record<string, any>;
    spec.ociVersion = "2.0.0";
    spec.process.cwd = "rel";
    spec.mounts[0].destination = "proc";
    spec.linux.namespaces.push({ type: "pid" });
    const r = run(["validate"], JSON.stringify(spec));
    expectOneLineError(r, 1, /stdin: invalid config, 4 violations: /);
    for (const p of ["/linux/namespaces/5/type", "/mounts/0/destination", "/ociVersion", "/process/cwd"]) expect(r.stderr).toContain(p);
  });
  test("wrong types are violations too", () => {
    const r = run(["validate"], JSON.stringify({ ociVersion: 1, process: "sh", root: { path: ["x"] } }));
    expectOneLineError(r, 1, /3 violations: \/ociVersion: must be of type string; \/process: must be of type object; \/root\/path: must be of type string/);
    expectOneLineError(run(["validate"], "[]"), 1, /\(root\): must be of type object/);
  });
  test("--strict reports unknown properties; default ignores them", () => {
    const json = JSON.stringify({ ...defaultSpec(), customField: true });
    expect(run(["validate"], json).status).toBe(0);
    expectOneLineError(run(["validate", "--strict"], json), 1, /\/customField: unknown property/);
  });
  test("rc1 configs are upgraded before validation unless --literal", () => {
    expect(run(["validate", seedFile]).status).toBe(0);
    expectOneLineError(run(["validate", "--literal", seedFile]), 1, /\/process\/capabilities: must be of type object/);
  });
  test("--bundle DIR reads DIR/config.json; FILE and --bundle together is a usage error", () => {
    const bundle = join(dir, "validate-bundle");
    mkdirSync(bundle);
    writeFileSync(join(bundle, "config.json"), defaultJson);
    expect(run(["validate", "--bundle", bundle]).status).toBe(0);
    expect(run(["validate", "-b", bundle]).status).toBe(0);
    expectOneLineError(run(["validate", "--bundle", bundle, seedFile]), 2, /not both/);
    expectOneLineError(run(["validate", "--bundle", join(dir, "nope")]), 1, /bundle .*nope: no such file or directory/);
    const empty = join(dir, "empty-bundle");
    mkdirSync(empty);
    expectOneLineError(run(["validate", "--bundle", empty]), 1, /empty-bundle\/config.json: no such file or directory/);
  });
});

describe("bad input", () => {
  const commands: string[][] = [["validate"], ["upgrade"], ["get", "/ociVersion"], ["set", "/hostname", '"x"'], ["patch", "[]"]];
  for (const cmd of commands) {
    describe(cmd[0]!, () => {
      test("not JSON", () => expectOneLineError(run(cmd, "hello world"), 1, /stdin: not JSON/));
      test("truncated JSON", () => expectOneLineError(run(cmd, defaultJson.slice(0, 200)), 1, /stdin: not JSON: unexpected end of input \(truncated\?\)/));
      test("binary garbage", () => {
        const garbage = new Uint8Array(4096);
        for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 7919 + 13) % 256;
        expectOneLineError(run(cmd, garbage), 1, /stdin: not JSON: input is binary data/);
      });
      test("empty stdin", () => expectOneLineError(run(cmd, ""), 1, /stdin: empty input/));
      test("a directory instead of a file", () => expectOneLineError(run([...cmd, dir]), 1, /is a directory, not a file/));
      test("a missing file", () => expectOneLineError(run([...cmd, join(dir, "missing.json")]), 1, /missing.json: no such file or directory/));
    });
  }
  test("a document nested deeper than 256 levels is refused fast", () => {
    const deep = `{"ociVersion":"1.2.0","x":${"[".repeat(100000)}${"]".repeat(100000)}}`;
    for (const cmd of [["validate"], ["upgrade"], ["patch", "[]"], ["set", "/y", "1"], ["diff", "-", seedFile]]) {
      expectOneLineError(run(cmd, deep), 1, /stdin: JSON nested deeper than 256 levels/);
    }
    const ok = `{"ociVersion":"1.2.0","x":${"[".repeat(255)}${"]".repeat(255)}}`;
    expect(run(["get", "/ociVersion"], ok).stdout).toBe('"1.2.0"\n');
  });
  test("NUL bytes in otherwise valid UTF-8", () => expectOneLineError(run(["validate"], '{"a":\u0000}'), 1, /binary data \(contains NUL bytes\)/));
  // Root reads anything, so this only runs as an ordinary user.
  test.skipIf(process.getuid?.() === 0)("an unreadable file", () => {
    const path = file("unreadable.json", defaultJson);
    chmodSync(path, 0);
    expectOneLineError(run(["validate", path]), 1, /permission denied/);
  });
  test("a 100 MB file is refused fast by its size, without reading it", () => {
    const path = join(dir, "huge.json");
    const fd = openSync(path, "w");
    ftruncateSync(fd, 100 * 1024 * 1024); // sparse: costs no disk
    closeSync(fd);
    const started = performance.now();
    expectOneLineError(run(["validate", path]), 1, /huge.json: input too large \(104857600 bytes; the limit is 64 MiB\)/);
    expect(performance.now() - started).toBeLessThan(5000);
  });
  test("100 MB on a pipe is cut off at the limit", () => {
    const proc = Bun.spawnSync(["sh", "-c", `head -c 104857600 /dev/zero | ${toolCommand("oci-spec").map((w) => `'${w}'`).join(" ")} validate`], {
      stdout: "pipe",
      stderr: "pipe",
    });
    expectOneLineError({ status: proc.exitCode ?? -1, stdout: proc.stdout.toString(), stderr: proc.stderr.toString() }, 1, /stdin: input too large \(more than 67108864 bytes/);
  });
  test("100 MB redirected from a file on stdin is refused by fstat", () => {
    const path = join(dir, "huge-stdin.json");
    const fd = openSync(path, "w");
    ftruncateSync(fd, 100 * 1024 * 1024);
    closeSync(fd);
    const proc = Bun.spawnSync([...toolCommand("oci-spec"), "validate"], { stdin: Bun.file(path), stdout: "pipe", stderr: "pipe" });
    expectOneLineError({ status: proc.exitCode ?? -1, stdout: proc.stdout.toString(), stderr: proc.stderr.toString() }, 1, /input too large/);
  });
  // script(1) gives the tool a pseudo-terminal as stdin: waiting for typed JSON would hang, so it is a usage error.
  test.skipIf(!Bun.which("script"))("a terminal on stdin and no FILE is a usage error", () => {
    const command = toolCommand("oci-spec").map((w) => `'${w}'`).join(" ");
    const proc = Bun.spawnSync(["script", "-qec", `${command} validate`, "/dev/null"], { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
    expect(proc.exitCode).toBe(2);
    expect(proc.stdout.toString()).toContain("oci-spec: no input: give a FILE, --bundle DIR, or pipe JSON on stdin");
  });
  test("usage errors exit 2", () => {
    expectOneLineError(run([]), 2, /no command given/);
    expectOneLineError(run(["frob"]), 2, /unknown command 'frob'/);
    expectOneLineError(run(["get"]), 2, /missing POINTER/);
    expectOneLineError(run(["get", "nope"], defaultJson), 2, /invalid JSON pointer/);
    expectOneLineError(run(["validate", "a.json", "b.json"]), 2, /unexpected argument 'b.json'/);
    expectOneLineError(run(["set", "/hostname", "web"], defaultJson), 2, /is not JSON \(quote it as JSON, or use --string\)/);
    expectOneLineError(run(["patch", "{not json"], defaultJson), 2, /PATCH argument: not JSON/);
    expectOneLineError(run(["patch", "--in-place", "[]"], defaultJson), 2, /--in-place needs a FILE/);
    expectOneLineError(run(["diff", "-", "-"], defaultJson), 2, /only one of A and B/);
  });
});

describe("oci-spec upgrade", () => {
  test("the seed fragments become valid 1.x", () => {
    const r = run(["upgrade", seedFile]);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toEqual(upgradeSpec(JSON.parse(readFileSync(seedFile, "utf8"))).value);
    expect(validateSpec(out)).toEqual([]);
    expect(r.stdout.endsWith("}\n")).toBe(true);
  });
  test("--verbose lists the rewrites on stderr", () => {
    const r = run(["upgrade", "--verbose"], readFileSync(seedFile, "utf8"));
    expect(r.status).toBe(0);
    expect(r.stderr).toContain("/process/capabilities: flat list");
  });
  test("a non-object is an error", () => expectOneLineError(run(["upgrade"], "[1]"), 1, /expected a JSON object/));
  test("--in-place rewrites the file", () => {
    const path = file("upgrade-inplace.json", readFileSync(seedFile, "utf8"));
    expect(run(["upgrade", "--in-place", path])).toEqual({ status: 0, stdout: "", stderr: "" });
    expect(JSON.parse(readFileSync(path, "utf8")).ociVersion).toBe("1.2.0");
  });
});

describe("oci-spec patch", () => {
  test("inline patch on stdin input", () => {
    const r = run(["patch", '[{"op":"replace","path":"/hostname","value":"web"},{"op":"add","path":"/process/args/-","value":"-l"}]'], defaultJson);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.hostname).toBe("web");
    expect(out.process.args).toEqual(["sh", "-l"]);
  });
  test("--patch-file with a FILE argument", () => {
    const patch = file("p.json", JSON.stringify([{ op: "remove", path: "/linux/resources" }]));
    const config = file("cfg-patch.json", defaultJson);
    const r = run(["patch", "-p", patch, config]);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).linux.resources).toBeUndefined();
  });
  test("a failing op: exit 1, op index and pointer, nothing on stdout", () => {
    const r = run(["patch", '[{"op":"add","path":"/a","value":1},{"op":"test","path":"/hostname","value":"nope"}]'], defaultJson);
    expectOneLineError(r, 1, /patch operation 1 \(\/hostname\): test failed: value is "runc", expected "nope"/);
    expectOneLineError(run(["patch", '[{"op":"remove","path":"/nope/x"}]'], defaultJson), 1, /patch operation 0 \(\/nope\/x\): path does not exist/);
  });
  test("--in-place: a failure leaves the file byte-identical; success replaces it atomically", () => {
    const path = file("inplace.json", defaultJson);
    const before = readFileSync(path);
    const inode = statSync(path).ino;
    expectOneLineError(run(["patch", "--in-place", '[{"op":"replace","path":"/hostname","value":"x"},{"op":"test","path":"/hostname","value":"y"}]', path]), 1, /operation 1/);
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(statSync(path).ino).toBe(inode);
    expect(run(["patch", "-i", '[{"op":"replace","path":"/hostname","value":"x"}]', path])).toEqual({ status: 0, stdout: "", stderr: "" });
    expect(JSON.parse(readFileSync(path, "utf8")).hostname).toBe("x");
    expect(statSync(path).ino).not.toBe(inode); // renamed over, not rewritten
    expect(readdirSync(dir).filter((n) => n.endsWith(".tmp"))).toEqual([]);
  });
  test("--in-place on a bundle", () => {
    const bundle = join(dir, "patch-bundle");
    mkdirSync(bundle);
    writeFileSync(join(bundle, "config.json"), defaultJson);
    expect(run(["patch", "--bundle", bundle, "--in-place", '[{"op":"add","path":"/annotations","value":{"k":"v"}}]']).status).toBe(0);
    expect(JSON.parse(readFileSync(join(bundle, "config.json"), "utf8")).annotations).toEqual({ k: "v" });
  });
  test("a result nested deeper than 256 levels is refused", () => {
    const ops = Array.from({ length: 300 }, (_, i) => ({ op: "add", path: `/x${"/a".repeat(i)}`, value: {} }));
    const patch = file("deepen.json", JSON.stringify(ops));
    expectOneLineError(run(["patch", "-p", patch], defaultJson), 1, /result nested deeper than 256 levels/);
  });
  test("a patch that is not an array", () => expectOneLineError(run(["patch", '{"op":"add"}'], defaultJson), 1, /must be an array/));
});

describe("oci-spec get / set", () => {
  test("get prints JSON; --raw prints strings bare; escaped pointers work", () => {
    expect(run(["get", "/process/args"], defaultJson).stdout).toBe('[\n  "sh"\n]\n');
    expect(run(["get", "/hostname"], defaultJson).stdout).toBe('"runc"\n');
    expect(run(["get", "-r", "/hostname"], defaultJson).stdout).toBe("runc\n");
    expect(run(["get", "/annotations/a~1b"], JSON.stringify({ annotations: { "a/b": "x" } })).stdout).toBe('"x"\n');
    expect(run(["get", ""], "[1]").stdout).toBe("[\n  1\n]\n");
  });
  test("get of a missing path", () => expectOneLineError(run(["get", "/linux/nope"], defaultJson), 1, /\/linux\/nope: no such property/));
  test("set takes JSON values, --string for strings, - appends", () => {
    const r = run(["set", "/process/rlimits/-", '{"type":"RLIMIT_NPROC","soft":10,"hard":10}'], defaultJson);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).process.rlimits[1].type).toBe("RLIMIT_NPROC");
    expect(JSON.parse(run(["set", "--string", "/hostname", "web"], defaultJson).stdout).hostname).toBe("web");
    expect(JSON.parse(run(["set", "/process/user/uid", "1000"], defaultJson).stdout).process.user.uid).toBe(1000);
  });
  test("set with a missing parent", () => expectOneLineError(run(["set", "/linux/sysctl/x", '"1"'], defaultJson), 1, /\/linux\/sysctl: no such property/));
  test("set --in-place", () => {
    const path = file("set.json", defaultJson);
    expect(run(["set", "-i", "/hostname", '"h"', path]).status).toBe(0);
    expect(JSON.parse(readFileSync(path, "utf8")).hostname).toBe("h");
  });
});

describe("oci-spec diff", () => {
  test("diff A B, and applying it with patch gives B", () => {
    const a = file("a.json", defaultJson);
    const bSpec = defaultSpec({ rootless: true, hostname: "b" });
    const b = file("b.json", JSON.stringify(bSpec));
    const d = run(["diff", a, b]);
    expect(d.status).toBe(0);
    const patched = run(["patch", d.stdout, a]);
    expect(patched.status).toBe(0);
    expect(JSON.parse(patched.stdout)).toEqual(bSpec);
  });
  test("one side from stdin", () => {
    const b = file("b2.json", JSON.stringify({ ...defaultSpec(), hostname: "z" }));
    expect(JSON.parse(run(["diff", "-", b], defaultJson).stdout)).toEqual([{ op: "replace", path: "/hostname", value: "z" }]);
  });
  test("bad input on either side", () => {
    const a = file("a3.json", defaultJson);
    expectOneLineError(run(["diff", a, join(dir, "missing.json")]), 1, /missing.json: no such file/);
    expectOneLineError(run(["diff", "-", a], "{"), 1, /stdin: not JSON/);
  });
});

describe("a pipeline", () => {
  test("init | set | patch | validate", () => {
    const init = run(["init"]);
    const set = run(["set", "/hostname", '"pipe"'], init.stdout);
    const patched = run(["patch", '[{"op":"add","path":"/mounts/-","value":{"destination":"/data","type":"bind","source":"/srv","options":["rbind","ro"]}}]'], set.stdout);
    expect(run(["validate", "--strict"], patched.stdout)).toEqual({ status: 0, stdout: "", stderr: "" });
  });
});
