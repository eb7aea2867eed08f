/** diff: the RFC 6902 patch that turns A into B (rfc6902's createPatch). */
import { createPatch } from "rfc6902";
import type { PatchOperation } from "./patch.ts";

export function diffSpecs(a: unknown, b: unknown): PatchOperation[] {
  return createPatch(a, b) as PatchOperation[];
}
