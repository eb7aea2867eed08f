#!/usr/bin/env bun
import { runTool } from "@oci-tools/cli";
import { ociCgroup } from "./tool.ts";

await runTool(ociCgroup, process.argv.slice(2));
