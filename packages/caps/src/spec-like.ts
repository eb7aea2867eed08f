/**
 * The part of a validated runtime-spec 1.2 config that oci-caps reads, typed
 * structurally with the spec's field names so that @oci-tools/spec's `Spec`
 * is assignable to it.
 */
export interface CapsSpecCapabilities {
  readonly bounding?: readonly string[];
  readonly effective?: readonly string[];
  readonly inheritable?: readonly string[];
  readonly permitted?: readonly string[];
  readonly ambient?: readonly string[];
}

export interface CapsSpecRlimit {
  readonly type: string;
  readonly soft: number | bigint;
  readonly hard: number | bigint;
}

export interface CapsSpecScheduler {
  readonly policy: string;
  readonly nice?: number;
  readonly priority?: number;
  readonly flags?: readonly string[];
  readonly runtime?: number | bigint;
  readonly deadline?: number | bigint;
  readonly period?: number | bigint;
}

export interface CapsSpec {
  readonly process?: {
    readonly cwd?: string;
    /** NAME=value entries; only HOME is looked at (see planProcess). */
    readonly env?: readonly string[];
    readonly user?: {
      readonly uid?: number;
      readonly gid?: number;
      readonly umask?: number;
      readonly additionalGids?: readonly number[];
    };
    /** The 1.x object form; a flat list is the rc1 form oci-spec upgrades (accepted here too). */
    readonly capabilities?: CapsSpecCapabilities | readonly string[];
    readonly rlimits?: readonly CapsSpecRlimit[];
    readonly noNewPrivileges?: boolean;
    readonly apparmorProfile?: string;
    readonly selinuxLabel?: string;
    readonly ioPriority?: { readonly class: string; readonly priority?: number };
    readonly scheduler?: CapsSpecScheduler;
  };
  readonly linux?: {
    readonly personality?: { readonly domain: string; readonly flags?: readonly string[] };
  };
}
