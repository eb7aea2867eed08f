import { runToolStatus } from "@oci-tools/cli";
import { tool } from "./cli.ts";
import { fastStdio } from "./stdio.ts";

// write(2)-based stdio rather than runTool's process.stdout (startup cost, see stdio.ts).
process.exit(await runToolStatus(tool, process.argv.slice(2), fastStdio));
