/**
 * Latency: the first write to any cgroup.procs after a quiet spell waits for
 * an RCU grace period (the kernel's cgroup_threadgroup_rwsem is a percpu
 * rwsem whose rcu_sync must switch to the writer side: measured 13–19 ms here,
 * runc pays it too), while writes in the following grace period take
 * microseconds. `warmAttachLock` starts that switch early and off the main
 * thread, by re-writing our own pid into the cgroup we are already in (a no-op
 * move), so the wait overlaps spec loading and planning instead of stalling
 * oci-init's join later. Errors are ignored: it only saves time.
 */
import { writeFile } from "node:fs/promises";
import { hierarchyKey, type CgroupLayout } from "./layout.ts";

function ownProcsFile(layout: CgroupLayout, own: ReadonlyMap<string, string>): string | undefined {
  if (layout.kind === "v2") {
    const path = own.get("");
    return path === undefined ? undefined : `${layout.mountpoint}${path === "/" ? "" : path}/cgroup.procs`;
  }
  for (const h of layout.hierarchies) {
    const path = own.get(hierarchyKey(h));
    // Only where the mount shows the whole hierarchy (root "/"), so the path maps 1:1.
    if (path !== undefined && h.root === "/") return `${h.mountpoint}${path === "/" ? "" : path}/cgroup.procs`;
  }
  return undefined;
}

export function warmAttachLock(layout: CgroupLayout, own: ReadonlyMap<string, string>): Promise<void> {
  const file = ownProcsFile(layout, own);
  if (file === undefined) return Promise.resolve();
  return writeFile(file, String(process.pid)).then(
    () => {},
    () => {},
  );
}
