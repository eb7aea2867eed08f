export type * from "./types.ts";
export { ToolError, UsageError } from "./errors.ts";
export { parseArgv, type ParseOutcome } from "./parse.ts";
export { runTool, runToolStatus, describeError } from "./run.ts";
export { renderMan, roffEscape } from "./man.ts";
export { fastStdio } from "./stdio.ts";
