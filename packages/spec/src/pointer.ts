/**
 * RFC 6901 JSON pointers: parsing, formatting, get and set. Used by
 * `oci-spec get/set` and to name the place of every violation.
 */

export class PointerError extends Error {
  override readonly name = "PointerError";
}

/** "/a~1b/0" → ["a/b", "0"]. The empty pointer "" is the whole document. */
export function parsePointer(pointer: string): string[] {
  if (pointer === "") return [];
  if (!pointer.startsWith("/")) throw new PointerError(`invalid JSON pointer ${JSON.stringify(pointer)}: must be empty or start with "/"`);
  return pointer
    .slice(1)
    .split("/")
    .map((token) => {
      if (/~(?![01])/.test(token)) throw new PointerError(`invalid JSON pointer ${JSON.stringify(pointer)}: "~" must be followed by 0 or 1`);
      // Order matters (RFC 6901 §4): ~1 first, so "~01" decodes to "~1", not "/".
      return token.replace(/~1/g, "/").replace(/~0/g, "~");
    });
}

export function escapeToken(token: string | number): string {
  return String(token).replace(/~/g, "~0").replace(/\//g, "~1");
}

export function formatPointer(tokens: readonly (string | number)[]): string {
  return tokens.map((token) => `/${escapeToken(token)}`).join("");
}

/** Appends one reference token to a pointer. */
export function childPointer(pointer: string, token: string | number): string {
  return `${pointer}/${escapeToken(token)}`;
}

function isIndex(token: string): boolean {
  return /^(0|[1-9][0-9]*)$/.test(token);
}

function isContainer(value: unknown): value is Record<string, unknown> | unknown[] {
  return typeof value === "object" && value !== null;
}

/** The value at `pointer`, or throws PointerError naming the first token that does not resolve. */
export function getPointer(document: unknown, pointer: string): unknown {
  const tokens = parsePointer(pointer);
  let node: unknown = document;
  tokens.forEach((token, i) => {
    const here = formatPointer(tokens.slice(0, i + 1));
    if (Array.isArray(node)) {
      if (!isIndex(token) || Number(token) >= node.length) throw new PointerError(`${here}: no such array element`);
      node = node[Number(token)];
    } else if (isContainer(node)) {
      if (!Object.hasOwn(node, token)) throw new PointerError(`${here}: no such property`);
      node = (node as Record<string, unknown>)[token];
    } else {
      throw new PointerError(`${here}: parent is not an object or array`);
    }
  });
  return node;
}

/**
 * Returns a copy of `document` with `value` at `pointer` (the input is not
 * modified). Like RFC 6902 "add" for objects (creates or replaces the member),
 * but replaces an existing array element instead of inserting; "-" appends.
 * Missing parents are not created: set /linux/sysctl/x needs /linux/sysctl.
 */
export function setPointer(document: unknown, pointer: string, value: unknown): unknown {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) return value;
  const copy = structuredClone(document);
  const parentTokens = tokens.slice(0, -1);
  const parent = getPointer(copy, formatPointer(parentTokens));
  const last = tokens[tokens.length - 1]!;
  if (Array.isArray(parent)) {
    if (last === "-") parent.push(value);
    else if (isIndex(last) && Number(last) < parent.length) parent[Number(last)] = value;
    else throw new PointerError(`${pointer}: no such array element (use "-" to append)`);
  } else if (isContainer(parent)) {
    // defineProperty, not assignment: a "__proto__" member must stay a plain member.
    Object.defineProperty(parent, last, { value, writable: true, enumerable: true, configurable: true });
  } else {
    throw new PointerError(`${pointer}: parent is not an object or array`);
  }
  return copy;
}
