import { runTool } from "@oci-tools/cli";
import { tool } from "./cli.ts";

await runTool(tool, process.argv.slice(2));
