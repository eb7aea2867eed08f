/** Scratch directories with small executable hook scripts, removed after each test file. */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Scratch {
  readonly dir: string;
  /** Writes an executable `#!/bin/sh` script and returns its absolute path. */
  script(name: string, body: string): string;
  cleanup(): void;
}

export function scratch(): Scratch {
  const dir = mkdtempSync(join(tmpdir(), "oci-hook-test-"));
  return {
    dir,
    script(name, body) {
      const path = join(dir, name);
      writeFileSync(path, `#!/bin/sh\n${body}\n`);
      chmodSync(path, 0o755);
      return path;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** True once /proc/PID is gone or a zombie, polling up to `ms`. */
export async function processGone(pid: number, ms = 2000): Promise<boolean> {
  const until = Date.now() + ms;
  for (;;) {
    let stat: string | undefined;
    try {
      stat = await Bun.file(`/proc/${pid}/stat`).text();
    } catch {
      return true;
    }
    if (/^\d+ \(.*\) Z/.test(stat)) return true;
    if (Date.now() > until) return false;
    await Bun.sleep(20);
  }
}
