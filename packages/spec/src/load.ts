/**
 * loadSpec: what oci-run calls on a bundle — read (bounded), parse, upgrade
 * rc-era forms, validate, fill defaults. Kept free of yargs/pino/rfc6902 so the
 * lifecycle commands stay fast.
 */
import { statSync } from "node:fs";
import { SpecError } from "./errors.ts";
import { type InputSource, parseJsonText, readSourceText, sourceName } from "./read.ts";
import type { LoadedSpec, Spec } from "./types.ts";
import { upgradeSpec } from "./upgrade.ts";
import { validateSpec } from "./validate.ts";

export interface LoadOptions {
  strict?: boolean;
}

/** `pathOrBundle` is a bundle directory (its config.json is read) or a config file. */
export function loadSpec(pathOrBundle: string, options: LoadOptions = {}): LoadedSpec {
  let source: InputSource;
  try {
    source = statSync(pathOrBundle).isDirectory() ? { kind: "bundle", dir: pathOrBundle } : { kind: "file", path: pathOrBundle };
  } catch {
    source = { kind: "file", path: pathOrBundle }; // reading it reports why (ENOENT, EACCES, ...)
  }
  return loadSpecFrom(source, options);
}

export function loadSpecFrom(source: InputSource, options: LoadOptions = {}): LoadedSpec {
  const name = sourceName(source);
  return specFromValue(parseJsonText(readSourceText(source), name), name, options);
}

/** upgrade + validate + defaults on an already parsed value; throws SpecError listing every violation. */
export function specFromValue(value: unknown, name: string, options: LoadOptions = {}): LoadedSpec {
  const upgraded = upgradeSpec(value);
  const violations = [...upgraded.violations, ...validateSpec(upgraded.value, options)];
  if (violations.length > 0) throw new SpecError(name, violations);
  return withDefaults(upgraded.value as Spec);
}

/**
 * The defaults runtime-spec states for absent fields, made explicit: no
 * mounts/options/hooks/annotations, a writable root, no namespaces (the host's),
 * no masked or read-only paths. Returns a new object; `spec` is not modified.
 */
export function withDefaults(spec: Spec): LoadedSpec {
  const root = spec.root ?? { path: "" };
  const linux = spec.linux ?? {};
  return {
    ...spec,
    root: { ...root, readonly: root.readonly ?? false },
    mounts: (spec.mounts ?? []).map((mount) => ({ ...mount, options: mount.options ?? [] })),
    hooks: spec.hooks ?? {},
    annotations: spec.annotations ?? {},
    linux: {
      ...linux,
      namespaces: linux.namespaces ?? [],
      maskedPaths: linux.maskedPaths ?? [],
      readonlyPaths: linux.readonlyPaths ?? [],
    },
  };
}
