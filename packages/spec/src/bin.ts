#!/usr/bin/env bun
import { runTool } from "@oci-tools/cli";
import { specTool } from "./cli.ts";

await runTool(specTool, process.argv.slice(2));
