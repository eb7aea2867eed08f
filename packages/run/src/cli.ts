/**
 * oci-run's command line: runc 1.1's commands and flags (CLI-CONTRACT.md),
 * plus `stop`. The lifecycle commands import only light modules statically;
 * create/run/spec import the spec validator and planners on demand.
 */
import type { CommandDef, FlagDef, ToolDef } from "@oci-tools/cli";
import { UsageError } from "@oci-tools/cli";
import { guarded } from "./context.ts";
import { warner } from "./hooks.ts";
import { containerState, deleteContainer, formatListJson, formatState, formatTable, killContainer, listContainers, startContainer, stopContainer } from "./lifecycle.ts";
import { parseSignal } from "./signals.ts";
import { VERSION, COMMIT, SPEC_VERSION } from "./version.ts";

const globalFlags: FlagDef[] = [
  { name: "root", type: "string", describe: "directory for container state (default /run/oci-tools; $XDG_RUNTIME_DIR/oci-tools when rootless)" },
  { name: "log", type: "string", describe: "append log lines to this file (default: stderr)" },
  { name: "log-format", type: "string", describe: "log format", choices: ["text", "json"], default: "text" },
  { name: "debug", type: "boolean", describe: "debug logging and stack traces on errors" },
  { name: "systemd-cgroup", type: "boolean", describe: 'read cgroupsPath as "slice:prefix:name" (path mapping only; no systemd D-Bus unit is created)' },
  { name: "rootless", type: "string", describe: "true, false or auto (accepted; rootless containers have their own issue)", choices: ["true", "false", "auto"] },
  { name: "criu", type: "string", describe: "accepted for compatibility and ignored", hidden: true },
];

const createFlags: FlagDef[] = [
  { name: "bundle", alias: ["b"], type: "string", describe: "path to the bundle directory", default: "." },
  { name: "pid-file", type: "string", describe: "write the container init's pid to this file" },
  { name: "console-socket", type: "string", describe: "unix socket to send the pty master to (terminal: true)" },
  { name: "no-pivot", type: "boolean", describe: "use chroot after a move mount instead of pivot_root" },
  { name: "no-new-keyring", type: "boolean", describe: "do not create a new session keyring" },
  { name: "preserve-fds", type: "number", describe: "pass this many fds above 2 to the container", default: 0 },
];

const idArg = { name: "id", describe: "container id", required: true } as const;

async function runCreate(a: Parameters<CommandDef["run"]>[0], stage0: "exit" | "wait", startAtOnce = false) {
  const { createContainer } = await import("./create.ts");
  return (g: import("./context.ts").Globals) =>
    createContainer(g.store, {
      id: a.positional("id")!,
      bundle: a.string("bundle") ?? ".",
      pidFile: a.string("pid-file"),
      consoleSocket: a.string("console-socket"),
      noPivot: a.bool("no-pivot"),
      noNewKeyring: a.bool("no-new-keyring"),
      preserveFds: a.number("preserve-fds") ?? 0,
      systemdCgroup: g.systemdCgroup,
      stage0,
      startAtOnce,
    });
}

const commands: CommandDef[] = [
  {
    name: "create",
    describe: "create a container; its process waits until `start`",
    positionals: [idArg],
    flags: createFlags,
    run: (a, io) =>
      guarded(a, io, async (g) => {
        // oci-init's stage 0 exits right after "ready"; no need to wait for it.
        await (await runCreate(a, "exit"))(g);
        return 0;
      }),
  },
  {
    name: "start",
    describe: "start the process of a created container",
    positionals: [idArg],
    run: (a, io) => guarded(a, io, async (g) => (await startContainer(g.store, a.positional("id")!), 0)),
  },
  {
    name: "run",
    describe: "create and start a container; wait for it unless --detach, then delete it unless --keep",
    positionals: [idArg],
    flags: [
      ...createFlags,
      { name: "detach", alias: ["d"], type: "boolean", describe: "return once the container started" },
      { name: "keep", type: "boolean", describe: "do not delete the container after it exits" },
    ],
    run: (a, io) =>
      guarded(a, io, async (g) => {
        const { runContainer } = await import("./run.ts");
        return runContainer(g, await runCreate(a, a.bool("detach") ? "exit" : "wait", true), {
          id: a.positional("id")!,
          detach: a.bool("detach"),
          keep: a.bool("keep"),
        });
      }),
  },
  {
    name: "exec",
    describe: "run a process in a running container (its namespaces, cgroup and privileges)",
    positionals: [idArg, { name: "command", describe: "the command and its arguments (or --process FILE)", variadic: true }],
    stopParsingAfter: 1,
    flags: [
      { name: "process", alias: ["p"], type: "string", describe: "a runtime-spec process.json to run (the other process flags are ignored)" },
      { name: "tty", alias: ["t"], type: "boolean", describe: "allocate a pseudo-terminal" },
      { name: "detach", alias: ["d"], type: "boolean", describe: "return once the process started" },
      { name: "pid-file", type: "string", describe: "write the process's host pid to this file" },
      { name: "console-socket", type: "string", describe: "unix socket to send the pty master to (--tty --detach)" },
      { name: "cwd", type: "string", describe: "working directory inside the container" },
      { name: "env", alias: ["e"], type: "strings", describe: "set an environment variable (NAME=value; repeatable)" },
      { name: "user", alias: ["u"], type: "string", describe: "uid[:gid] to run as" },
      { name: "additional-gids", alias: ["g"], type: "strings", describe: "an additional gid (repeatable)" },
      { name: "cap", alias: ["c"], type: "strings", describe: "add a capability (CAP_NAME; repeatable)" },
      { name: "no-new-privs", type: "boolean", describe: "set no_new_privs for the process" },
      { name: "preserve-fds", type: "number", describe: "pass this many fds above 2 to the process", default: 0 },
      { name: "apparmor", type: "string", describe: "AppArmor profile for the process" },
      { name: "process-label", type: "string", describe: "SELinux label for the process" },
    ],
    examples: [
      { cmd: "oci-run exec -t demo sh", describe: "an interactive shell in container demo" },
      { cmd: "oci-run exec --detach --pid-file p --process process.json demo", describe: "what containerd and conmon run" },
    ],
    run: (a, io) =>
      guarded(a, io, async (g) => {
        const { execInContainer } = await import("./exec.ts");
        return execInContainer(g.store, {
          id: a.positional("id")!,
          args: [...a.positionals("command"), ...a.rest],
          processFile: a.string("process"),
          tty: a.bool("tty"),
          detach: a.bool("detach"),
          pidFile: a.string("pid-file"),
          consoleSocket: a.string("console-socket"),
          cwd: a.string("cwd"),
          env: a.strings("env"),
          user: a.string("user"),
          additionalGids: a.strings("additional-gids"),
          caps: a.strings("cap"),
          noNewPrivs: a.bool("no-new-privs"),
          preserveFds: a.number("preserve-fds") ?? 0,
          apparmor: a.string("apparmor"),
          processLabel: a.string("process-label"),
        });
      }),
  },
  {
    name: "ps",
    describe: "show the container's processes (ps -ef by default) or, with --format json, their host pids",
    positionals: [idArg, { name: "ps-args", describe: "arguments for ps(1) (default -ef)", variadic: true }],
    stopParsingAfter: 1,
    flags: [{ name: "format", alias: ["f"], type: "string", describe: "table or json", choices: ["table", "json"], default: "table" }],
    run: (a, io) =>
      guarded(a, io, async (g) => {
        const { psContainer } = await import("./ps.ts");
        io.stdout(psContainer(g.store, a.positional("id")!, { format: a.string("format") === "json" ? "json" : "table", psArgs: [...a.positionals("ps-args"), ...a.rest] }));
        return 0;
      }),
  },
  {
    name: "state",
    describe: "print the container's state as JSON",
    positionals: [idArg],
    run: (a, io) => guarded(a, io, (g) => (io.stdout(formatState(containerState(g.store, a.positional("id")!))), 0)),
  },
  {
    name: "list",
    aliases: ["ps-all"],
    describe: "list containers",
    flags: [
      { name: "format", alias: ["f"], type: "string", describe: "table or json", choices: ["table", "json"], default: "table" },
      { name: "quiet", alias: ["q"], type: "boolean", describe: "print only the ids" },
    ],
    run: (a, io) =>
      guarded(a, io, (g) => {
        const rows = listContainers(g.store);
        if (a.bool("quiet")) io.stdout(rows.map((r) => `${r.id}\n`).join(""));
        else if (a.string("format") === "json") io.stdout(formatListJson(rows));
        else io.stdout(formatTable(rows));
        return 0;
      }),
  },
  {
    name: "kill",
    describe: "send a signal (default SIGTERM) to the container's init, or with --all to all its processes",
    positionals: [idArg, { name: "signal", describe: "signal name (KILL, SIGKILL) or number" }],
    flags: [{ name: "all", alias: ["a"], type: "boolean", describe: "signal every process of the container" }],
    run: (a, io) =>
      guarded(a, io, (g) => {
        const id = a.positional("id")!;
        killContainer(g.store, id, parseSignal(a.positional("signal") ?? "SIGTERM"), a.bool("all"));
        return 0;
      }),
  },
  {
    name: "delete",
    describe: "delete a stopped (or, with --force, any) container and everything it owns",
    positionals: [idArg],
    flags: [{ name: "force", alias: ["f"], type: "boolean", describe: "kill the container first if it runs; succeed if it does not exist" }],
    run: (a, io) => guarded(a, io, async (g) => (await deleteContainer(g.store, a.positional("id")!, a.bool("force"), warner(g)), 0)),
  },
  {
    name: "stop",
    describe: "SIGTERM the container, wait up to --timeout seconds, then SIGKILL it",
    positionals: [idArg],
    flags: [{ name: "timeout", alias: ["t"], type: "number", describe: "seconds to wait after SIGTERM", default: 10 }],
    run: (a, io) =>
      guarded(a, io, async (g) => {
        const t = a.number("timeout") ?? 10;
        if (!(t >= 0)) throw new UsageError("--timeout must be a number of seconds ≥ 0");
        await stopContainer(g.store, a.positional("id")!, t);
        return 0;
      }),
  },
  {
    name: "spec",
    describe: "write a default config.json (the same as `oci-spec init`)",
    flags: [
      { name: "bundle", alias: ["b"], type: "string", describe: "directory to write config.json into", default: "." },
      { name: "rootless", type: "boolean", describe: "a config for a rootless container" },
    ],
    run: (a, io) =>
      guarded(a, io, async () => {
        const { writeDefaultSpec } = await import("./spec.ts");
        await writeDefaultSpec(a.string("bundle") ?? ".", a.bool("rootless"));
        return 0;
      }),
  },
];

export const tool: ToolDef = {
  name: "oci-run",
  summary: "run OCI containers (a drop-in for runc's command line)",
  description: [
    "oci-run creates and runs containers from OCI bundles following the runtime-spec lifecycle. Its commands, flags, output and error texts follow runc 1.1 so podman, containerd and scripts can drive it.",
    "State lives under --root (default /run/oci-tools; $XDG_RUNTIME_DIR/oci-tools when not root), one directory per container (mode 0700) holding state.json (written atomically), a lock file and the exec fifo. A create that was killed leaves a record that `delete --force` uses to remove every process (all are in the container's cgroup), the cgroup and the directory.",
    "With --systemd-cgroup, linux.cgroupsPath is read as systemd's slice:prefix:name and mapped to the directory systemd would use (/<expanded slice>/<prefix>-<name>.scope); oci-run creates it with cgroupfs and does not ask systemd over D-Bus for a transient unit, so systemd does not manage it.",
    "Hooks run as runtime-spec 1.2 and runc 1.1 order them: prestart and createRuntime on the host while create waits after the mounts (cwd the bundle), createContainer in the container's namespaces before pivot_root (paths on the host), startContainer in the container after start released it, poststart on the host after start (a failure kills the container and fails start), poststop on the host after delete (failures are warnings; they run once). A failing create hook fails create and leaves nothing behind.",
    "Not yet supported (their own issues): pause/resume, events, update and cgroup resource limits beyond pids and memory. --rootless and --criu are accepted and ignored.",
    "To use it from podman, register it in containers.conf: [engine.runtimes] oci-run = [\"/usr/local/bin/oci-run\"] and, so that podman passes --log-format=json, [engine] runtime_supports_json = [\"crun\", \"runc\", \"kata\", \"runsc\", \"youki\", \"krun\", \"oci-run\"]. For containerd, set runc-binary (BinaryName) in the runc shim options to the oci-run path.",
  ],
  version: VERSION,
  versionText: () => `oci-run version ${VERSION}\ncommit: ${COMMIT}\nspec: ${SPEC_VERSION}`,
  globalFlags,
  commands,
  seeAlso: ["oci-spec(1)", "oci-cgroup(1)", "runc(8)"],
};
