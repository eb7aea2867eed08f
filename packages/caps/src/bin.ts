#!/usr/bin/env bun
import { runTool } from "@oci-tools/cli";
import { ociCaps } from "./cli.ts";

await runTool(ociCaps, process.argv.slice(2));
