/** Kernel numbers for the names the runtime-spec uses (capabilities, rlimits, scheduler, ioprio, personality). */
import { CAPABILITIES as SPEC_CAPABILITIES, RLIMITS as SPEC_RLIMITS } from "@oci-tools/spec";

/** CAP_* → bit number, from @oci-tools/spec's table (the one list of names). */
export const CAPABILITIES: Readonly<Record<string, number>> = Object.fromEntries(SPEC_CAPABILITIES.map((name, bit) => [name, bit]));

export const CAP_LAST = SPEC_CAPABILITIES.length - 1;

/** RLIMIT_* → resource number, from @oci-tools/spec's table. */
export const RLIMITS: Readonly<Record<string, number>> = SPEC_RLIMITS;

/** RLIM_INFINITY: (rlim_t)-1. */
export const RLIM_INFINITY = 0xffff_ffff_ffff_ffffn;

export const SCHED_POLICIES: Readonly<Record<string, number>> = {
  SCHED_OTHER: 0,
  SCHED_FIFO: 1,
  SCHED_RR: 2,
  SCHED_BATCH: 3,
  SCHED_ISO: 4,
  SCHED_IDLE: 5,
  SCHED_DEADLINE: 6,
};

/** sched_attr.sched_flags bits (linux/sched.h). */
export const SCHED_FLAGS: Readonly<Record<string, bigint>> = {
  SCHED_FLAG_RESET_ON_FORK: 0x01n,
  SCHED_FLAG_RECLAIM: 0x02n,
  SCHED_FLAG_DL_OVERRUN: 0x04n,
  SCHED_FLAG_KEEP_POLICY: 0x08n,
  SCHED_FLAG_KEEP_PARAMS: 0x10n,
  SCHED_FLAG_UTIL_CLAMP_MIN: 0x20n,
  SCHED_FLAG_UTIL_CLAMP_MAX: 0x40n,
};

/** IOPRIO_CLASS_* (linux/ioprio.h); ioprio = class << 13 | level. */
export const IOPRIO_CLASSES: Readonly<Record<string, number>> = {
  IOPRIO_CLASS_RT: 1,
  IOPRIO_CLASS_BE: 2,
  IOPRIO_CLASS_IDLE: 3,
};
export const IOPRIO_CLASS_SHIFT = 13;

/** Execution domains the runtime-spec names (linux/personality.h). */
export const PERSONALITY_DOMAINS: Readonly<Record<string, number>> = {
  LINUX: 0x0000,
  LINUX32: 0x0008,
};

/** Personality flags (linux/personality.h), accepted in linux.personality.flags. */
export const PERSONALITY_FLAGS: Readonly<Record<string, number>> = {
  UNAME26: 0x0020000,
  ADDR_NO_RANDOMIZE: 0x0040000,
  FDPIC_FUNCPTRS: 0x0080000,
  MMAP_PAGE_ZERO: 0x0100000,
  ADDR_COMPAT_LAYOUT: 0x0200000,
  READ_IMPLIES_EXEC: 0x0400000,
  ADDR_LIMIT_32BIT: 0x0800000,
  SHORT_INODE: 0x1000000,
  WHOLE_SECONDS: 0x2000000,
  STICKY_TIMEOUTS: 0x4000000,
  ADDR_LIMIT_3GB: 0x8000000,
};

export function lookup<T>(table: Readonly<Record<string, T>>, name: string): T | undefined {
  return Object.hasOwn(table, name) ? table[name] : undefined;
}

/** Names of the capabilities in a mask, by bit number. */
export function capabilityNames(mask: bigint): string[] {
  const names: string[] = [];
  for (const [name, bit] of Object.entries(CAPABILITIES)) if ((mask >> BigInt(bit)) & 1n) names.push(name);
  return names;
}
