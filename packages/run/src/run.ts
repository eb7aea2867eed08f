/**
 * `run`: create (with no exec fifo: the process starts once ready) and the
 * poststart hooks, then (foreground) wait for the container and exit
 * with its status. oci-init runs with stage0 "wait", so it stays our child
 * and exits with the container's status (128+N when killed by signal N):
 * Node/Bun cannot wait for a process that is not their child, and this keeps
 * us from becoming a subreaper. Signals we receive are forwarded to the
 * container's init (like runc without a terminal).
 */
import type { Globals } from "./context.ts";
import type { Created } from "./create.ts";
import { warner } from "./hooks.ts";
import { afterStart, destroyWithHooks } from "./lifecycle.ts";
import { isSameLiveProcess } from "./proc.ts";

const FORWARDED = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGWINCH", "SIGCONT", "SIGALRM"] as const;

export async function runContainer(
  g: Globals,
  create: (g: Globals) => Promise<Created>,
  o: { id: string; detach: boolean; keep: boolean },
): Promise<number> {
  const created = await create(g);
  const { record } = created;
  // Forward from here on: a SIGINT now must reach the container, not kill us half-way.
  const forward = (sig: NodeJS.Signals) => {
    if (isSameLiveProcess(record.pid, record.pidStartTime)) {
      try {
        process.kill(record.pid, sig);
      } catch {
        /* exited meanwhile */
      }
    }
  };
  // A foreground terminal (terminal.ts) turns SIGWINCH into a resize of the pty instead.
  const master = created.console?.kind === "foreground" ? created.console.master : undefined;
  const forwarded = master === undefined ? FORWARDED : FORWARDED.filter((s) => s !== "SIGWINCH");
  if (!o.detach) for (const s of forwarded) process.on(s, forward);
  try {
    try {
      // Created without an exec fifo (startAtOnce): the process is already on its way.
      await afterStart(record, o.id);
    } catch (e) {
      created.console?.close();
      await destroyWithHooks(g.store, o.id, g.store.read(o.id), warner(g));
      throw e;
    }
    if (o.detach) {
      await created.init.exited;
      return 0;
    }
    const status =
      master === undefined ? await created.init.exited : await (await import("./terminal.ts")).attachTerminal(master).then((t) => t.finish(created.init.exited));
    if (!o.keep) await destroyWithHooks(g.store, o.id, g.store.read(o.id), warner(g));
    return status;
  } finally {
    for (const s of forwarded) process.off(s, forward);
  }
}
