/** A failure the user caused or can fix: one line on stderr, exit 1. */
export class ToolError extends Error {
  override readonly name: string = "ToolError";
  constructor(
    message: string,
    readonly exitCode: number = 1,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The command line itself is wrong: one line on stderr, exit 2. */
export class UsageError extends ToolError {
  override readonly name = "UsageError";
  constructor(message: string) {
    super(message, 2);
  }
}
