import { ToolError } from "@oci-tools/cli";

/** Messages keep the substrings clients match (CLI-CONTRACT.md "Errors"). */
export const errors = {
  notExist: (id: string) => new ToolError(`container ${id} does not exist`),
  alreadyExists: (id: string) => new ToolError(`container ${id} already exists`),
  invalidId: (id: string) => new ToolError(`invalid container ID format: ${JSON.stringify(id)}`),
  notRunning: (id: string) => new ToolError(`container ${id}: container not running`),
  notStopped: (id: string, status: string) =>
    new ToolError(`cannot delete container ${id} that is not stopped: ${status} (use --force)`),
  notCreated: (id: string, status: string) => new ToolError(`cannot start container ${id}: status is ${status}, not created`),
};
