/**
 * Checks the JSON Schema cannot express. Each takes the raw (unknown) value
 * and guards its own types, so it can run on a config that also has schema
 * errors and every violation is reported in one pass.
 */
import { CAPABILITIES, RLIMITS } from "./names.ts";
import { childPointer } from "./pointer.ts";
import type { Violation } from "./types.ts";
import { checkOciVersion } from "./version.ts";

type Obj = Record<string, unknown>;

function isObj(value: unknown): value is Obj {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
function objAt(value: unknown, key: string): Obj | undefined {
  if (!isObj(value)) return undefined;
  const child = value[key];
  return isObj(child) ? child : undefined;
}
function arrAt(value: unknown, key: string): unknown[] {
  if (!isObj(value)) return [];
  const child = value[key];
  return Array.isArray(child) ? child : [];
}
function strAt(value: unknown, key: string): string | undefined {
  if (!isObj(value)) return undefined;
  const child = value[key];
  return typeof child === "string" ? child : undefined;
}
function intAt(value: unknown, key: string): number | undefined {
  if (!isObj(value)) return undefined;
  const child = value[key];
  return Number.isInteger(child) ? (child as number) : undefined;
}

const KNOWN_CAPABILITIES: ReadonlySet<string> = new Set(CAPABILITIES);
const CAPABILITY_SETS = ["bounding", "effective", "inheritable", "permitted", "ambient"] as const;
const HOOK_NAMES = ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"] as const;

export function semanticViolations(config: unknown): Violation[] {
  const out: Violation[] = [];
  const add = (pointer: string, message: string) => out.push({ pointer, message });
  if (!isObj(config)) return out; // the schema reports the type

  const version = strAt(config, "ociVersion");
  if (version !== undefined) {
    const check = checkOciVersion(version);
    if (check.kind === "error") add("/ociVersion", check.message);
  }

  if (config.root === undefined) add("/root", "is required on Linux (the container's root filesystem)");

  const linux = objAt(config, "linux");
  const namespaces = arrAt(linux, "namespaces");
  const nsTypes = new Set<string>();
  namespaces.forEach((ns, i) => {
    const type = strAt(ns, "type");
    const here = `/linux/namespaces/${i}`;
    if (type !== undefined) {
      if (nsTypes.has(type)) add(`${here}/type`, `duplicate namespace type "${type}"`);
      nsTypes.add(type);
    }
    const path = strAt(ns, "path");
    if (path !== undefined && !path.startsWith("/")) add(`${here}/path`, `namespace path must be absolute, got "${path}"`);
  });

  const hostname = strAt(config, "hostname");
  if (hostname !== undefined && hostname !== "" && linux !== undefined && !nsTypes.has("uts")) {
    add("/hostname", "setting a hostname needs a new UTS namespace (add {\"type\":\"uts\"} to linux.namespaces)");
  }
  const domainname = strAt(config, "domainname");
  if (domainname !== undefined && domainname !== "" && linux !== undefined && !nsTypes.has("uts")) {
    add("/domainname", "setting a domainname needs a new UTS namespace");
  }

  checkIdMappings(linux, "uidMappings", "/linux/uidMappings", add);
  checkIdMappings(linux, "gidMappings", "/linux/gidMappings", add);
  const hasMappings = arrAt(linux, "uidMappings").length > 0 || arrAt(linux, "gidMappings").length > 0;
  const userNs = namespaces.find((ns) => strAt(ns, "type") === "user");
  if (hasMappings && userNs === undefined) add("/linux/uidMappings", "uid/gid mappings need a user namespace in linux.namespaces");
  // A new user namespace without mappings is not an error: crun's rootless
  // `spec` writes exactly that and fills in the caller's id at run time.
  if (objAt(linux, "timeOffsets") !== undefined && !nsTypes.has("time")) {
    add("/linux/timeOffsets", "time offsets need a time namespace in linux.namespaces");
  }

  arrAt(config, "mounts").forEach((mount, i) => {
    const here = `/mounts/${i}`;
    const destination = strAt(mount, "destination");
    if (destination !== undefined && !destination.startsWith("/")) {
      add(`${here}/destination`, `mount destination must be an absolute path, got "${destination}"`);
    }
    const uid = isObj(mount) && mount.uidMappings !== undefined;
    const gid = isObj(mount) && mount.gidMappings !== undefined;
    if (uid !== gid) add(here, "an idmapped mount needs both uidMappings and gidMappings");
    checkIdMappings(mount, "uidMappings", `${here}/uidMappings`, add);
    checkIdMappings(mount, "gidMappings", `${here}/gidMappings`, add);
  });

  const process = objAt(config, "process");
  if (process !== undefined) checkProcess(process, add);

  const hooks = objAt(config, "hooks");
  for (const name of HOOK_NAMES) {
    arrAt(hooks, name).forEach((hook, i) => {
      const path = strAt(hook, "path");
      if (path !== undefined && !path.startsWith("/")) add(`/hooks/${name}/${i}/path`, `hook path must be absolute, got "${path}"`);
      checkEnv(arrAt(hook, "env"), `/hooks/${name}/${i}/env`, add);
    });
  }

  arrAt(linux, "devices").forEach((device, i) => {
    const path = strAt(device, "path");
    if (path !== undefined && !path.startsWith("/")) add(`/linux/devices/${i}/path`, `device path must be absolute, got "${path}"`);
    const type = strAt(device, "type");
    if (type !== undefined && type !== "p" && (intAt(device, "major") === undefined || intAt(device, "minor") === undefined)) {
      add(`/linux/devices/${i}`, `device of type "${type}" needs major and minor`);
    }
  });
  for (const key of ["maskedPaths", "readonlyPaths"] as const) {
    arrAt(linux, key).forEach((path, i) => {
      if (typeof path === "string" && !path.startsWith("/")) add(`/linux/${key}/${i}`, `path must be absolute, got "${path}"`);
    });
  }
  return out;
}

function checkProcess(process: Obj, add: (pointer: string, message: string) => void): void {
  const cwd = strAt(process, "cwd");
  if (cwd !== undefined && !cwd.startsWith("/")) add("/process/cwd", `cwd must be an absolute path, got "${cwd}"`);
  checkEnv(arrAt(process, "env"), "/process/env", add);

  const capabilities = objAt(process, "capabilities");
  for (const set of CAPABILITY_SETS) {
    arrAt(capabilities, set).forEach((name, i) => {
      if (typeof name === "string" && !KNOWN_CAPABILITIES.has(name)) {
        add(`/process/capabilities/${set}/${i}`, `unknown capability "${name}"`);
      }
    });
  }

  const seen = new Set<string>();
  arrAt(process, "rlimits").forEach((rlimit, i) => {
    const here = `/process/rlimits/${i}`;
    const type = strAt(rlimit, "type");
    if (type !== undefined) {
      if (!Object.hasOwn(RLIMITS, type)) add(`${here}/type`, `unknown rlimit "${type}"`);
      else if (seen.has(type)) add(`${here}/type`, `duplicate rlimit "${type}"`);
      seen.add(type);
    }
    const soft = intAt(rlimit, "soft");
    const hard = intAt(rlimit, "hard");
    if (soft !== undefined && hard !== undefined && soft > hard) add(`${here}/soft`, `soft limit ${soft} is above hard limit ${hard}`);
  });
}

function checkEnv(env: unknown[], pointer: string, add: (pointer: string, message: string) => void): void {
  env.forEach((entry, i) => {
    if (typeof entry === "string" && entry.indexOf("=") < 1) add(`${pointer}/${i}`, `environment entry must be NAME=value, got "${entry}"`);
  });
}

/** size > 0, ranges within 32 bits, and no two ranges overlapping on either side. */
function checkIdMappings(owner: unknown, key: string, pointer: string, add: (pointer: string, message: string) => void): void {
  const ranges: { i: number; container: number; host: number; size: number }[] = [];
  arrAt(owner, key).forEach((mapping, i) => {
    const container = intAt(mapping, "containerID");
    const host = intAt(mapping, "hostID");
    const size = intAt(mapping, "size");
    if (size === undefined || container === undefined || host === undefined) return;
    if (size <= 0) {
      add(childPointer(`${pointer}/${i}`, "size"), "mapping size must be at least 1");
      return;
    }
    if (container + size > 2 ** 32) add(`${pointer}/${i}`, "containerID + size is beyond the 32-bit id space");
    if (host + size > 2 ** 32) add(`${pointer}/${i}`, "hostID + size is beyond the 32-bit id space");
    ranges.push({ i, container, host, size });
  });
  for (let a = 0; a < ranges.length; a++) {
    for (let b = a + 1; b < ranges.length; b++) {
      const x = ranges[a]!;
      const y = ranges[b]!;
      if (x.container < y.container + y.size && y.container < x.container + x.size) {
        add(`${pointer}/${y.i}`, `container id range overlaps mapping ${x.i}`);
      }
      if (x.host < y.host + y.size && y.host < x.host + x.size) {
        add(`${pointer}/${y.i}`, `host id range overlaps mapping ${x.i}`);
      }
    }
  }
}
