/**
 * RFC 6902 JSON Patch, atomically: the rfc6902 library applies each operation,
 * this module checks each one first with our own RFC 6901 pointer code and
 * stops at the first failure, so the caller's document is never half-patched.
 *
 * Why the checks around the library (rfc6902 5.4.0):
 * - It returns MissingError for "add"/"replace"/"move"/"copy" with path ""
 *   (the whole document), which RFC 6902 allows; we do those ourselves.
 * - Its "replace" on an array accepts "-" and non-canonical indices such as
 *   "01" and then sets a string-keyed property on the array.
 * - Its pointer parser accepts "~" followed by anything, and silently skips
 *   "__proto__"/"constructor"/"prototype" tokens (resolving them to the
 *   parent); we reject such pointers with a clear error instead.
 * The library already rejects moving a location into its own child (§4.4) and
 * compares `test` values structurally (object key order ignored, arrays in order);
 * tests pin both.
 */
import { PointerError, getPointer, parsePointer } from "./pointer.ts";

export type PatchOperation =
  | { op: "add"; path: string; value: unknown }
  | { op: "remove"; path: string }
  | { op: "replace"; path: string; value: unknown }
  | { op: "move"; from: string; path: string }
  | { op: "copy"; from: string; path: string }
  | { op: "test"; path: string; value: unknown };

/**
 * rfc6902 is loaded on first use (synchronous require), so importing
 * @oci-tools/spec — as oci-run does for loadSpec — does not load it.
 */
export function rfc6902(): typeof import("rfc6902") {
  return require("rfc6902") as typeof import("rfc6902");
}

export class PatchError extends Error {
  override readonly name = "PatchError";
  constructor(
    /** Index of the failing operation in the patch, or -1 when the patch itself is malformed. */
    readonly index: number,
    readonly pointer: string,
    reason: string,
  ) {
    super(index < 0 ? `invalid patch: ${reason}` : `patch operation ${index} (${pointer === "" ? '""' : pointer}): ${reason}`);
  }
}

const OPS = new Set(["add", "remove", "replace", "move", "copy", "test"]);
const FORBIDDEN_TOKENS = new Set(["__proto__", "constructor", "prototype"]);

function isObj(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Checks the shape of a patch document (RFC 6902 §4) and returns it typed. */
export function parsePatch(value: unknown): PatchOperation[] {
  if (!Array.isArray(value)) throw new PatchError(-1, "", "a JSON Patch must be an array of operations");
  return value.map((op: unknown, index) => {
    if (!isObj(op)) throw new PatchError(index, "", "operation must be an object");
    const path = op.path;
    if (typeof op.op !== "string" || !OPS.has(op.op)) {
      throw new PatchError(index, typeof path === "string" ? path : "", `unknown op ${JSON.stringify(op.op)} (expected add, remove, replace, move, copy or test)`);
    }
    if (typeof path !== "string") throw new PatchError(index, "", `"${op.op}" needs a string "path"`);
    checkPointer(index, path);
    if ((op.op === "move" || op.op === "copy") && typeof op.from !== "string") {
      throw new PatchError(index, path, `"${op.op}" needs a string "from"`);
    }
    if (typeof op.from === "string" && (op.op === "move" || op.op === "copy")) checkPointer(index, op.from);
    if ((op.op === "add" || op.op === "replace" || op.op === "test") && !Object.hasOwn(op, "value")) {
      throw new PatchError(index, path, `"${op.op}" needs a "value"`);
    }
    return op as PatchOperation;
  });
}

function checkPointer(index: number, pointer: string): void {
  let tokens: string[];
  try {
    tokens = parsePointer(pointer);
  } catch (error) {
    throw new PatchError(index, pointer, (error as Error).message);
  }
  const bad = tokens.find((token) => FORBIDDEN_TOKENS.has(token));
  if (bad !== undefined) throw new PatchError(index, pointer, `refusing pointer token "${bad}"`);
}

function isIndex(token: string): boolean {
  return /^(0|[1-9][0-9]*)$/.test(token);
}

/** Fails unless `pointer` names an existing value in `doc`. */
function mustExist(index: number, doc: unknown, pointer: string, what: string): unknown {
  try {
    return getPointer(doc, pointer);
  } catch (error) {
    if (error instanceof PointerError) throw new PatchError(index, pointer, `${what} does not exist (${error.message})`);
    throw error;
  }
}

/** The target of add/move/copy: its parent must exist; in an array the last token is "-" or an index <= length. */
function mustBeAddable(index: number, doc: unknown, pointer: string): void {
  const tokens = parsePointer(pointer);
  const last = tokens[tokens.length - 1]!;
  const parentPointer = pointer.slice(0, pointer.lastIndexOf("/"));
  const parent = mustExist(index, doc, parentPointer, "parent of path");
  if (Array.isArray(parent)) {
    if (last !== "-" && !(isIndex(last) && Number(last) <= parent.length)) {
      throw new PatchError(index, pointer, `array index "${last}" is out of range (length ${parent.length}; use "-" to append)`);
    }
  } else if (!isObj(parent)) {
    throw new PatchError(index, pointer, "parent of path is not an object or array");
  }
}

/** For remove/replace: an array element must be named by a canonical index (not "-"). */
function mustBeElement(index: number, doc: unknown, pointer: string): void {
  mustExist(index, doc, pointer, "path");
  const tokens = parsePointer(pointer);
  const parent = getPointer(doc, pointer.slice(0, pointer.lastIndexOf("/")));
  if (Array.isArray(parent) && !isIndex(tokens[tokens.length - 1]!)) {
    throw new PatchError(index, pointer, "not an array index");
  }
}

function isProperPrefix(from: string, path: string): boolean {
  return path.startsWith(`${from}/`);
}

function structurallyEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => structurallyEqual(x, b[i]));
  if (isObj(a) && isObj(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && structurallyEqual(a[k], b[k]));
  }
  return false;
}

/** One operation on `doc` (mutated in place unless the root is replaced); returns the new root. */
function applyOne(doc: unknown, op: PatchOperation, index: number): unknown {
  // Whole-document operations: RFC 6902 allows them; the library does not.
  if (op.path === "") {
    switch (op.op) {
      case "add":
      case "replace":
        return structuredClone(op.value);
      case "copy":
        return structuredClone(mustExist(index, doc, op.from, "from"));
      case "move":
        if (op.from !== "") return structuredClone(mustExist(index, doc, op.from, "from"));
        return doc;
      case "remove":
        throw new PatchError(index, op.path, "cannot remove the whole document");
      case "test":
        if (!structurallyEqual(doc, op.value)) throw new PatchError(index, op.path, "test failed: the document differs from the expected value");
        return doc;
    }
  }
  switch (op.op) {
    case "add":
      mustBeAddable(index, doc, op.path);
      break;
    case "remove":
    case "replace":
      mustBeElement(index, doc, op.path);
      break;
    case "test":
      mustExist(index, doc, op.path, "path");
      break;
    case "move":
      if (op.from === op.path) {
        mustExist(index, doc, op.from, "from");
        return doc; // RFC 6902 §4.4: a no-op
      }
      if (isProperPrefix(op.from, op.path)) throw new PatchError(index, op.path, `cannot move ${op.from} into its own child`);
      mustBeElement(index, doc, op.from);
      mustBeAddable(index, doc, op.path);
      break;
    case "copy":
      mustExist(index, doc, op.from, "from");
      mustBeAddable(index, doc, op.path);
      break;
  }
  const [result] = rfc6902().applyPatch(doc, [op as never]);
  if (result) {
    const reason =
      result.name === "TestError"
        ? `test failed: value is ${JSON.stringify(getPointer(doc, op.path))}, expected ${JSON.stringify((op as { value: unknown }).value)}`
        : result.message;
    throw new PatchError(index, op.path, reason);
  }
  return doc;
}

/**
 * Applies a JSON Patch to a copy of `document` and returns it; the input is
 * never modified. The first failing operation throws a PatchError naming its
 * index and pointer.
 */
export function applyJsonPatch(document: unknown, patch: unknown): unknown {
  const ops = parsePatch(patch);
  let doc = structuredClone(document);
  ops.forEach((op, index) => {
    doc = applyOne(doc, op, index);
  });
  return doc;
}
