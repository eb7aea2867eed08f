declare const OCI_TOOLS_COMMIT: string | undefined;

export const VERSION = "0.1.0";
/** Set at build time with `bun build --define OCI_TOOLS_COMMIT='"<sha>"'`. */
export const COMMIT: string = typeof OCI_TOOLS_COMMIT === "string" ? OCI_TOOLS_COMMIT : (process.env.OCI_TOOLS_COMMIT ?? "unknown");
export const SPEC_VERSION = "1.2.0";
