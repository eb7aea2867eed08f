#!/usr/bin/env bun
import { runTool } from "@oci-tools/cli";
import { ociNs } from "./cli.ts";

await runTool(ociNs, process.argv.slice(2));
