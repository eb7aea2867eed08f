/**
 * The part of a validated runtime-spec 1.2 config that oci-mount reads,
 * typed structurally with the spec's field names so that @oci-tools/spec's
 * `Spec` is assignable to it.
 */
export interface MountSpecMount {
  readonly destination: string;
  readonly source?: string;
  readonly type?: string;
  readonly options?: readonly string[];
  readonly uidMappings?: readonly unknown[];
  readonly gidMappings?: readonly unknown[];
}

export interface MountSpecDevice {
  readonly type: string;
  readonly path: string;
  readonly major?: number;
  readonly minor?: number;
  readonly fileMode?: number;
  readonly uid?: number;
  readonly gid?: number;
}

export interface MountSpec {
  readonly process?: {
    readonly cwd?: string;
    readonly oomScoreAdj?: number;
  };
  readonly root?: { readonly path: string; readonly readonly?: boolean };
  readonly hostname?: string;
  readonly domainname?: string;
  readonly mounts?: readonly MountSpecMount[];
  readonly linux?: {
    readonly rootfsPropagation?: string;
    readonly devices?: readonly MountSpecDevice[];
    readonly maskedPaths?: readonly string[];
    readonly readonlyPaths?: readonly string[];
    readonly sysctl?: { readonly [key: string]: string | undefined };
  };
}
