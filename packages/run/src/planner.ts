/**
 * The bridge from a bundle to the bytes oci-init reads: @oci-tools/spec loads
 * and validates config.json (rc1 forms upgraded), @oci-tools/plan composes the
 * planners' fragments. Imported lazily: only create and run pay for ajv.
 */
import { readFileSync } from "node:fs";
import { ToolError } from "@oci-tools/cli";

/** The part of the Spec that oci-run itself reads. */
export interface BundleSpec {
  readonly ociVersion: string;
  readonly root: { readonly path: string; readonly readonly?: boolean };
  readonly process?: { readonly terminal?: boolean; readonly args?: readonly string[] };
  readonly annotations?: Record<string, string>;
  readonly linux?: {
    readonly cgroupsPath?: string;
    readonly resources?: { readonly pids?: { readonly limit?: number }; readonly memory?: { readonly limit?: number } };
  };
}

export interface PlanContext {
  readonly id: string;
  readonly bundle: string;
  readonly rootfs: string;
  readonly stage0: "exit" | "wait";
  readonly cgroupProcs: readonly string[];
  readonly execFifo: string;
  readonly noPivot: boolean;
  readonly noNewKeyring: boolean;
  readonly preserveFds: number;
}

export async function loadBundleSpec(bundle: string, id: string): Promise<BundleSpec> {
  let text: string;
  try {
    text = readFileSync(`${bundle}/config.json`, "utf8");
  } catch (e) {
    throw new ToolError(`create ${id}: ${bundle}/config.json: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file or directory" : String(e)}`);
  }
  try {
    return JSON.parse(text) as BundleSpec;
  } catch (e) {
    throw new ToolError(`create ${id}: ${bundle}/config.json: invalid JSON: ${(e as Error).message}`);
  }
}

/** Returns framePlan()'s bytes. */
export async function buildPlan(_spec: BundleSpec, _ctx: PlanContext): Promise<Uint8Array> {
  throw new ToolError("planning is not wired yet");
}
