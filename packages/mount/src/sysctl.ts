/**
 * linux.sysctl validated against the container's namespaces the way runc's
 * validator does, so a sysctl never changes the host:
 * - IPC sysctls (kernel.msgmax, msgmnb, msgmni, sem, shmall, shmmax, shmmni,
 *   shm_rmid_forced and fs.mqueue.*) need an IPC namespace;
 * - net.* needs a network namespace that is not the host's;
 * - kernel.domainname needs a UTS namespace; kernel.hostname is refused in
 *   favour of the spec's `hostname` field;
 * - anything else is not namespaced and is refused.
 */
import { PlanError, type NamespacePlan, type NamespaceType, type Op } from "@oci-tools/plan";

export const IPC_SYSCTLS: ReadonlySet<string> = new Set([
  "kernel.msgmax",
  "kernel.msgmnb",
  "kernel.msgmni",
  "kernel.sem",
  "kernel.shmall",
  "kernel.shmmax",
  "kernel.shmmni",
  "kernel.shm_rmid_forced",
]);

// A key is dot-separated names; each becomes a /proc/sys path component, so
// "", "." and ".." (and slashes) would walk elsewhere.
const KEY_COMPONENT = /^[A-Za-z0-9_*+:@-][A-Za-z0-9_*+:@-]*$/;

function has(ns: NamespacePlan, type: NamespaceType): boolean {
  return ns.create.includes(type) || ns.join.some((j) => j.type === type);
}

export interface SysctlContext {
  readonly namespaces: NamespacePlan;
  /** The caller found that the network namespace joined by path is the host's own (runc's isHostNetNS). */
  readonly joinedNetnsIsHost: boolean;
}

export function sysctlOps(sysctl: { readonly [key: string]: string | undefined }, ctx: SysctlContext): Op[] {
  const ops: Op[] = [];
  for (const [key, value] of Object.entries(sysctl)) {
    if (value === undefined) continue;
    const field = `linux.sysctl["${key}"]`;
    if (!key.split(".").every((c) => KEY_COMPONENT.test(c))) {
      throw new PlanError(field, `"${key}" is not a sysctl name (dot-separated names, no slashes, no empty, "." or ".." parts)`);
    }
    if (typeof value !== "string" || value.includes("\0")) throw new PlanError(field, "the value must be a string without NUL bytes");
    if (IPC_SYSCTLS.has(key) || key.startsWith("fs.mqueue.")) {
      if (!has(ctx.namespaces, "ipc")) throw new PlanError(field, `sysctl "${key}" is not allowed in the host's ipc namespace`);
    } else if (key.startsWith("net.")) {
      if (!has(ctx.namespaces, "network")) throw new PlanError(field, `sysctl "${key}" is not allowed in the host's network namespace`);
      if (!ctx.namespaces.create.includes("network") && ctx.joinedNetnsIsHost) {
        throw new PlanError(field, `sysctl "${key}" is not allowed: the joined network namespace is the host's`);
      }
    } else if (key === "kernel.domainname" && has(ctx.namespaces, "uts")) {
      // namespaced, and the spec has no field of its own for it
    } else if (key === "kernel.hostname" && has(ctx.namespaces, "uts")) {
      throw new PlanError(field, `sysctl "kernel.hostname" is not allowed as it conflicts with the spec's "hostname" field`);
    } else {
      throw new PlanError(field, `sysctl "${key}" is not in a separate kernel namespace`);
    }
    ops.push({ op: "sysctl", key, value });
  }
  return ops;
}
