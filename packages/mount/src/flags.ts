/**
 * Mount options → mount(2) flags, the way runc's specconv parseMountOptions
 * reads them: a known flag name sets or clears its MS_* bit (later options
 * win, so "ro,rw" is rw), a propagation name is applied to the mount point
 * after mounting, and every other option is filesystem data passed through in
 * order (tmpfs size=65536k,mode=755; devpts newinstance,ptmxmode=0666; …).
 *
 * Deliberate differences from runc 1.1, each an error instead of a surprise:
 * - "tmpcopyup", the recursive attributes ("rro", "rnosuid", … applied by
 *   runc with mount_setattr(2)) and "idmap"/"ridmap" are refused as not
 *   supported, naming the option, rather than half-applied.
 * - "defaults" sets nothing and is dropped (runc passes it on as data, which
 *   tmpfs and others then reject); crun and youki drop it too.
 */

export const MS = {
  RDONLY: 0x1,
  NOSUID: 0x2,
  NODEV: 0x4,
  NOEXEC: 0x8,
  SYNCHRONOUS: 0x10,
  REMOUNT: 0x20,
  MANDLOCK: 0x40,
  DIRSYNC: 0x80,
  NOSYMFOLLOW: 0x100,
  NOATIME: 0x400,
  NODIRATIME: 0x800,
  BIND: 0x1000,
  MOVE: 0x2000,
  REC: 0x4000,
  SILENT: 0x8000,
  POSIXACL: 0x10000,
  UNBINDABLE: 0x20000,
  PRIVATE: 0x40000,
  SLAVE: 0x80000,
  SHARED: 0x100000,
  RELATIME: 0x200000,
  I_VERSION: 0x800000,
  STRICTATIME: 0x1000000,
  LAZYTIME: 0x2000000,
} as const;

/** Option name → [clear?, flag]. The table runc uses, plus nosymfollow/symfollow (Linux 5.10). */
export const FLAG_OPTIONS: Readonly<Record<string, { readonly clear: boolean; readonly flag: number }>> = {
  acl: { clear: false, flag: MS.POSIXACL },
  async: { clear: true, flag: MS.SYNCHRONOUS },
  atime: { clear: true, flag: MS.NOATIME },
  bind: { clear: false, flag: MS.BIND },
  dev: { clear: true, flag: MS.NODEV },
  diratime: { clear: true, flag: MS.NODIRATIME },
  dirsync: { clear: false, flag: MS.DIRSYNC },
  exec: { clear: true, flag: MS.NOEXEC },
  iversion: { clear: false, flag: MS.I_VERSION },
  lazytime: { clear: false, flag: MS.LAZYTIME },
  loud: { clear: true, flag: MS.SILENT },
  mand: { clear: false, flag: MS.MANDLOCK },
  noacl: { clear: true, flag: MS.POSIXACL },
  noatime: { clear: false, flag: MS.NOATIME },
  nodev: { clear: false, flag: MS.NODEV },
  nodiratime: { clear: false, flag: MS.NODIRATIME },
  noexec: { clear: false, flag: MS.NOEXEC },
  noiversion: { clear: true, flag: MS.I_VERSION },
  nolazytime: { clear: true, flag: MS.LAZYTIME },
  nomand: { clear: true, flag: MS.MANDLOCK },
  norelatime: { clear: true, flag: MS.RELATIME },
  nostrictatime: { clear: true, flag: MS.STRICTATIME },
  nosuid: { clear: false, flag: MS.NOSUID },
  nosymfollow: { clear: false, flag: MS.NOSYMFOLLOW },
  rbind: { clear: false, flag: MS.BIND | MS.REC },
  relatime: { clear: false, flag: MS.RELATIME },
  remount: { clear: false, flag: MS.REMOUNT },
  ro: { clear: false, flag: MS.RDONLY },
  rw: { clear: true, flag: MS.RDONLY },
  silent: { clear: false, flag: MS.SILENT },
  strictatime: { clear: false, flag: MS.STRICTATIME },
  suid: { clear: true, flag: MS.NOSUID },
  symfollow: { clear: true, flag: MS.NOSYMFOLLOW },
  sync: { clear: false, flag: MS.SYNCHRONOUS },
};

/** Propagation option → flags for mount(NULL, target, NULL, flags, NULL). Also linux.rootfsPropagation's values. */
export const PROPAGATION_OPTIONS: Readonly<Record<string, number>> = {
  private: MS.PRIVATE,
  shared: MS.SHARED,
  slave: MS.SLAVE,
  unbindable: MS.UNBINDABLE,
  rprivate: MS.PRIVATE | MS.REC,
  rshared: MS.SHARED | MS.REC,
  rslave: MS.SLAVE | MS.REC,
  runbindable: MS.UNBINDABLE | MS.REC,
};

/** Options understood by runc or the runtime-spec that this runtime cannot apply yet. */
export const UNSUPPORTED_OPTIONS: Readonly<Record<string, string>> = {
  tmpcopyup: "tmpcopyup (copying the directory's contents into the new tmpfs) is not supported",
  idmap: "idmapped mounts (idmap) are not supported",
  ridmap: "idmapped mounts (ridmap) are not supported",
  ...Object.fromEntries(
    [
      "rro", "rrw", "rnosuid", "rsuid", "rnodev", "rdev", "rnoexec", "rexec", "rnodiratime", "rdiratime",
      "rrelatime", "rnorelatime", "rnoatime", "ratime", "rstrictatime", "rnostrictatime", "rnosymfollow", "rsymfollow",
    ].map((o) => [o, `recursive mount attribute "${o}" is not supported (it needs mount_setattr); use "${o.slice(1)}" on each mount`]),
  ),
};

export interface ParsedMountOptions {
  /** MS_* flags (including MS_BIND/MS_REC for bind/rbind, MS_REMOUNT for remount). */
  readonly flags: number;
  /** Propagation flags, in the order given. */
  readonly propagation: readonly number[];
  /** Filesystem data, comma-joined in the order given ("" when none). */
  readonly data: string;
}

export class MountOptionError extends Error {
  override readonly name = "MountOptionError";
  constructor(
    readonly option: string,
    readonly reason: string,
  ) {
    super(reason);
  }
}

export function parseMountOptions(options: readonly string[]): ParsedMountOptions {
  let flags = 0;
  const propagation: number[] = [];
  const data: string[] = [];
  for (const option of options) {
    if (option === "defaults") continue;
    const unsupported = Object.hasOwn(UNSUPPORTED_OPTIONS, option) ? UNSUPPORTED_OPTIONS[option] : undefined;
    if (unsupported !== undefined) throw new MountOptionError(option, unsupported);
    const flag = Object.hasOwn(FLAG_OPTIONS, option) ? FLAG_OPTIONS[option] : undefined;
    if (flag !== undefined) {
      flags = flag.clear ? flags & ~flag.flag : flags | flag.flag;
      continue;
    }
    const prop = Object.hasOwn(PROPAGATION_OPTIONS, option) ? PROPAGATION_OPTIONS[option] : undefined;
    if (prop !== undefined) {
      propagation.push(prop);
      continue;
    }
    if (option.includes("\0")) throw new MountOptionError(option, "a mount option must not contain a NUL byte");
    if (option.includes(",")) throw new MountOptionError(option, `mount option "${option}" contains a comma; give each option separately`);
    data.push(option);
  }
  return { flags, propagation, data: data.join(",") };
}

const FLAG_NAMES: readonly [number, string][] = [
  [MS.RDONLY, "ro"],
  [MS.NOSUID, "nosuid"],
  [MS.NODEV, "nodev"],
  [MS.NOEXEC, "noexec"],
  [MS.SYNCHRONOUS, "sync"],
  [MS.REMOUNT, "remount"],
  [MS.MANDLOCK, "mand"],
  [MS.DIRSYNC, "dirsync"],
  [MS.NOSYMFOLLOW, "nosymfollow"],
  [MS.NOATIME, "noatime"],
  [MS.NODIRATIME, "nodiratime"],
  [MS.BIND, "bind"],
  [MS.MOVE, "move"],
  [MS.REC, "rec"],
  [MS.SILENT, "silent"],
  [MS.POSIXACL, "acl"],
  [MS.UNBINDABLE, "unbindable"],
  [MS.PRIVATE, "private"],
  [MS.SLAVE, "slave"],
  [MS.SHARED, "shared"],
  [MS.RELATIME, "relatime"],
  [MS.I_VERSION, "iversion"],
  [MS.STRICTATIME, "strictatime"],
  [MS.LAZYTIME, "lazytime"],
];

/** Names of the bits set in `flags`, lowest bit first (for `oci-mount plan` output and messages). */
export function flagNames(flags: number): string[] {
  const names: string[] = [];
  let rest = flags;
  for (const [bit, name] of FLAG_NAMES) {
    if ((flags & bit) !== 0) {
      names.push(name);
      rest &= ~bit;
    }
  }
  if (rest !== 0) names.push(`0x${rest.toString(16)}`);
  return names;
}
