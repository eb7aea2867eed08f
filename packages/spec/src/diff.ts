/** diff: the RFC 6902 patch that turns A into B (rfc6902's createPatch, loaded on first use). */
import { type PatchOperation, rfc6902 } from "./patch.ts";

export function diffSpecs(a: unknown, b: unknown): PatchOperation[] {
  return rfc6902().createPatch(a, b) as PatchOperation[];
}
