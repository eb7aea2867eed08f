import { describe, expect, test } from "bun:test";
import { PatchError, applyJsonPatch, defaultSpec } from "../src/index.ts";

function fails(doc: unknown, patch: unknown, index: number, pattern: RegExp): void {
  const before = JSON.stringify(doc);
  let error: unknown;
  try {
    applyJsonPatch(doc, patch);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(PatchError);
  expect((error as PatchError).index).toBe(index);
  expect((error as PatchError).message).toMatch(pattern);
  expect(JSON.stringify(doc)).toBe(before); // input untouched
}

describe("RFC 6902 Appendix A examples", () => {
  test("A.1 add an object member", () => {
    expect(applyJsonPatch({ foo: "bar" }, [{ op: "add", path: "/baz", value: "qux" }])).toEqual({ baz: "qux", foo: "bar" });
  });
  test("A.2 add an array element", () => {
    expect(applyJsonPatch({ foo: ["bar", "baz"] }, [{ op: "add", path: "/foo/1", value: "qux" }])).toEqual({ foo: ["bar", "qux", "baz"] });
  });
  test("A.3 remove an object member", () => {
    expect(applyJsonPatch({ baz: "qux", foo: "bar" }, [{ op: "remove", path: "/baz" }])).toEqual({ foo: "bar" });
  });
  test("A.4 remove an array element", () => {
    expect(applyJsonPatch({ foo: ["bar", "qux", "baz"] }, [{ op: "remove", path: "/foo/1" }])).toEqual({ foo: ["bar", "baz"] });
  });
  test("A.5 replace a value", () => {
    expect(applyJsonPatch({ baz: "qux", foo: "bar" }, [{ op: "replace", path: "/baz", value: "boo" }])).toEqual({ baz: "boo", foo: "bar" });
  });
  test("A.6 move a value", () => {
    const doc = { foo: { bar: "baz", waldo: "fred" }, qux: { corge: "grault" } };
    expect(applyJsonPatch(doc, [{ op: "move", from: "/foo/waldo", path: "/qux/thud" }])).toEqual({
      foo: { bar: "baz" },
      qux: { corge: "grault", thud: "fred" },
    });
  });
  test("A.7 move an array element", () => {
    expect(applyJsonPatch({ foo: ["all", "grass", "cows", "eat"] }, [{ op: "move", from: "/foo/1", path: "/foo/3" }])).toEqual({
      foo: ["all", "cows", "eat", "grass"],
    });
  });
  test("A.8 test a value: success", () => {
    const doc = { baz: "qux", foo: ["a", 2, "c"] };
    expect(
      applyJsonPatch(doc, [
        { op: "test", path: "/baz", value: "qux" },
        { op: "test", path: "/foo/1", value: 2 },
      ]),
    ).toEqual(doc);
  });
  test("A.9 test a value: error", () => {
    fails({ baz: "qux" }, [{ op: "test", path: "/baz", value: "bar" }], 0, /test failed/);
  });
  test("A.10 add a nested member object", () => {
    expect(applyJsonPatch({ foo: "bar" }, [{ op: "add", path: "/child", value: { grandchild: {} } }])).toEqual({ foo: "bar", child: { grandchild: {} } });
  });
  test("A.11 ignore unrecognised elements in an operation", () => {
    expect(applyJsonPatch({ foo: "bar" }, [{ op: "add", path: "/baz", value: "qux", xyz: 123 }])).toEqual({ foo: "bar", baz: "qux" });
  });
  test("A.12 add to a nonexistent target", () => {
    fails({ foo: "bar" }, [{ op: "add", path: "/baz/bat", value: "qux" }], 0, /parent of path does not exist/);
  });
  test("A.14 ~ escape ordering", () => {
    expect(applyJsonPatch({ "/": 9, "~1": 10 }, [{ op: "test", path: "/~01", value: 10 }])).toEqual({ "/": 9, "~1": 10 });
  });
  test("A.15 comparing strings and numbers", () => {
    fails({ "/": 9, "~1": 10 }, [{ op: "test", path: "/~01", value: "10" }], 0, /test failed/);
  });
  test("A.16 add an array value", () => {
    expect(applyJsonPatch({ foo: ["bar"] }, [{ op: "add", path: "/foo/-", value: ["abc", "def"] }])).toEqual({ foo: ["bar", ["abc", "def"]] });
  });
});

describe("edge cases", () => {
  test("escaped pointers ~0 and ~1 in every op", () => {
    const doc = { annotations: { "a/b": "1", "c~d": "2" } };
    const out = applyJsonPatch(doc, [
      { op: "test", path: "/annotations/a~1b", value: "1" },
      { op: "replace", path: "/annotations/c~0d", value: "3" },
      { op: "copy", from: "/annotations/a~1b", path: "/annotations/x~1~0y" },
      { op: "move", from: "/annotations/c~0d", path: "/annotations/~0~1" },
      { op: "remove", path: "/annotations/a~1b" },
    ]);
    expect(out).toEqual({ annotations: { "x/~y": "1", "~/": "3" } });
  });
  test("invalid escapes are rejected", () => {
    fails({ a: 1 }, [{ op: "add", path: "/a~2", value: 1 }], 0, /"~" must be followed by 0 or 1/);
    fails({ a: 1 }, [{ op: "add", path: "a", value: 1 }], 0, /must be empty or start with/);
  });
  test('array "-" appends for add, copy and move; is an error for remove, replace and test', () => {
    expect(applyJsonPatch({ a: [1] }, [{ op: "add", path: "/a/-", value: 2 }])).toEqual({ a: [1, 2] });
    expect(applyJsonPatch({ a: [1], b: 3 }, [{ op: "move", from: "/b", path: "/a/-" }])).toEqual({ a: [1, 3] });
    expect(applyJsonPatch({ a: [1] }, [{ op: "copy", from: "/a/0", path: "/a/-" }])).toEqual({ a: [1, 1] });
    fails({ a: [1] }, [{ op: "remove", path: "/a/-" }], 0, /does not exist/);
    fails({ a: [1] }, [{ op: "replace", path: "/a/-", value: 2 }], 0, /does not exist/);
    fails({ a: [1] }, [{ op: "test", path: "/a/-", value: 1 }], 0, /does not exist/);
  });
  test("array indices: leading zeros, out of range and end+1", () => {
    fails({ a: [1, 2] }, [{ op: "replace", path: "/a/01", value: 9 }], 0, /does not exist/);
    fails({ a: [1, 2] }, [{ op: "add", path: "/a/3", value: 9 }], 0, /out of range/);
    fails({ a: [1, 2] }, [{ op: "add", path: "/a/01", value: 9 }], 0, /out of range/);
    expect(applyJsonPatch({ a: [1, 2] }, [{ op: "add", path: "/a/2", value: 9 }])).toEqual({ a: [1, 2, 9] });
  });
  test("move into its own child is rejected; move onto itself is a no-op", () => {
    fails({ a: { b: { c: 1 } } }, [{ op: "move", from: "/a", path: "/a/b/x" }], 0, /into its own child/);
    fails({ a: { b: 1 } }, [{ op: "move", from: "/a", path: "/a/b" }], 0, /into its own child/);
    expect(applyJsonPatch({ a: { b: 1 } }, [{ op: "move", from: "/a", path: "/a" }])).toEqual({ a: { b: 1 } });
    // "/ab" is not a child of "/a": prefix is by token, not by string
    expect(applyJsonPatch({ a: 1 }, [{ op: "move", from: "/a", path: "/ab" }])).toEqual({ ab: 1 });
  });
  test("test compares deeply: object key order is irrelevant, array order matters, types matter", () => {
    const doc = { o: { x: 1, y: [1, { p: true, q: null }] } };
    expect(applyJsonPatch(doc, [{ op: "test", path: "/o", value: { y: [1, { q: null, p: true }], x: 1 } }])).toEqual(doc);
    fails(doc, [{ op: "test", path: "/o/y", value: [{ p: true, q: null }, 1] }], 0, /test failed/);
    fails(doc, [{ op: "test", path: "/o/x", value: true }], 0, /test failed/);
    fails(doc, [{ op: "test", path: "/o", value: { x: 1 } }], 0, /test failed/);
    fails(doc, [{ op: "test", path: "/o/y/1/q", value: 0 }], 0, /test failed/);
  });
  test("copy makes an independent deep copy; move removes the source", () => {
    const out = applyJsonPatch({ a: { n: [1] } }, [
      { op: "copy", from: "/a", path: "/b" },
      { op: "add", path: "/b/n/-", value: 2 },
    ]) as { a: { n: number[] }; b: { n: number[] } };
    expect(out).toEqual({ a: { n: [1] }, b: { n: [1, 2] } });
    expect(applyJsonPatch({ a: { n: 1 }, c: {} }, [{ op: "move", from: "/a", path: "/c/a" }])).toEqual({ c: { a: { n: 1 } } });
  });
  test("whole-document operations (path \"\")", () => {
    expect(applyJsonPatch({ a: 1 }, [{ op: "replace", path: "", value: [1] }])).toEqual([1]);
    expect(applyJsonPatch({ a: 1 }, [{ op: "add", path: "", value: { b: 2 } }])).toEqual({ b: 2 });
    expect(applyJsonPatch({ a: { b: 2 } }, [{ op: "copy", from: "/a", path: "" }])).toEqual({ b: 2 });
    expect(applyJsonPatch({ a: 1 }, [{ op: "test", path: "", value: { a: 1 } }])).toEqual({ a: 1 });
    fails({ a: 1 }, [{ op: "remove", path: "" }], 0, /whole document/);
  });
  test("atomic: a failure at op 2 leaves the input untouched and names the op and pointer", () => {
    const spec = defaultSpec();
    const before = JSON.stringify(spec);
    let error: PatchError | undefined;
    try {
      applyJsonPatch(spec, [
        { op: "replace", path: "/hostname", value: "web" },
        { op: "add", path: "/mounts/-", value: { destination: "/data" } },
        { op: "test", path: "/process/terminal", value: false },
      ]);
    } catch (e) {
      error = e as PatchError;
    }
    expect(error?.message).toBe('patch operation 2 (/process/terminal): test failed: value is true, expected false');
    expect(JSON.stringify(spec)).toBe(before);
  });
  test("malformed patches", () => {
    fails({}, { op: "add" }, -1, /must be an array/);
    fails({}, [{ op: "frobnicate", path: "/a" }], 0, /unknown op "frobnicate"/);
    fails({}, [{ op: "add", path: "/a", value: 1 }, { op: "add", value: 1 }], 1, /needs a string "path"/);
    fails({}, [{ op: "add", path: "/a" }], 0, /needs a "value"/);
    fails({ a: 1 }, [{ op: "move", path: "/b" }], 0, /needs a string "from"/);
    fails({}, ["add"], 0, /must be an object/);
  });
  test("prototype-polluting pointers are refused", () => {
    fails({}, [{ op: "add", path: "/__proto__/polluted", value: 1 }], 0, /refusing pointer token "__proto__"/);
    fails({ a: {} }, [{ op: "add", path: "/a/constructor", value: 1 }], 0, /refusing/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
  test("remove of a missing member and replace of a missing member fail", () => {
    fails({ a: 1 }, [{ op: "remove", path: "/b" }], 0, /path does not exist/);
    fails({ a: 1 }, [{ op: "replace", path: "/b", value: 1 }], 0, /path does not exist/);
    fails({ a: 1 }, [{ op: "copy", from: "/b", path: "/c" }], 0, /from does not exist/);
  });
  test("add replaces an existing member", () => {
    expect(applyJsonPatch({ a: 1 }, [{ op: "add", path: "/a", value: 2 }])).toEqual({ a: 2 });
  });
  test("add into a scalar parent fails", () => {
    fails({ a: 1 }, [{ op: "add", path: "/a/b", value: 2 }], 0, /parent of path does not exist|not an object/);
  });
});
