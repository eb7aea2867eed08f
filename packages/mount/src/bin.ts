#!/usr/bin/env bun
import { runTool } from "@oci-tools/cli";
import { ociMount } from "./cli.ts";

await runTool(ociMount, process.argv.slice(2));
