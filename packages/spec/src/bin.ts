import { runToolStatus } from "@oci-tools/cli";
import { tool } from "./cli.ts";
import { fastStdio } from "./stdio.ts";

// runToolStatus with write(2)-based stdio rather than runTool: runTool touches
// process.stdout, which costs ~12 ms at startup (see stdio.ts).
process.exit(await runToolStatus(tool, process.argv.slice(2), fastStdio));
