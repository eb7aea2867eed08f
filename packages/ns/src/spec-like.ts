/**
 * The part of a validated runtime-spec 1.2 config that oci-ns reads, typed
 * structurally with the spec's field names so that @oci-tools/spec's `Spec`
 * is assignable to it.
 */
export interface NsSpecNamespace {
  readonly type: string;
  readonly path?: string;
}

export interface NsSpecIdMapping {
  readonly containerID: number;
  readonly hostID: number;
  readonly size: number;
}

export interface NsSpecTimeOffset {
  readonly secs?: number;
  readonly nanosecs?: number;
}

export interface NsSpec {
  readonly linux?: {
    readonly namespaces?: readonly NsSpecNamespace[];
    readonly uidMappings?: readonly NsSpecIdMapping[];
    readonly gidMappings?: readonly NsSpecIdMapping[];
    readonly timeOffsets?: { readonly [clock: string]: NsSpecTimeOffset | undefined };
  };
}
