/** Host facts planProcess takes as inputs, read here (I/O) so the planner stays pure. */
import { existsSync, readFileSync } from "node:fs";
import type { ProcessOptions } from "./plan.ts";

function read(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

/**
 * Which LSMs this host has enabled: the kernel's list when securityfs is
 * mounted, else AppArmor's module parameter (what runc checks) and the
 * SELinux filesystem.
 */
export function hostLsm(): NonNullable<ProcessOptions["hostLsm"]> {
  const list = read("/sys/kernel/security/lsm");
  if (list !== undefined) {
    const lsms = list.trim().split(",");
    return { apparmor: lsms.includes("apparmor"), selinux: lsms.includes("selinux") };
  }
  return {
    apparmor: (read("/sys/module/apparmor/parameters/enabled") ?? "").startsWith("Y"),
    selinux: existsSync("/sys/fs/selinux/enforce"),
  };
}
