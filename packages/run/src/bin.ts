#!/usr/bin/env bun
import { runTool } from "@oci-tools/cli";
import { ociRun } from "./tool.ts";

await runTool(ociRun, process.argv.slice(2));
