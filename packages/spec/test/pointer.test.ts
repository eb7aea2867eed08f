import { describe, expect, test } from "bun:test";
import { PointerError, formatPointer, getPointer, parsePointer, setPointer } from "../src/index.ts";
import { capabilityNumber, parseSignal, rlimitNumber } from "../src/index.ts";

describe("RFC 6901 pointers", () => {
  const doc = { foo: ["bar", "baz"], "": 0, "a/b": 1, "c%d": 2, "e^f": 3, "g|h": 4, "i\\j": 5, 'k"l': 6, " ": 7, "m~n": 8 };
  test("the RFC 6901 §5 examples", () => {
    expect(getPointer(doc, "")).toEqual(doc);
    expect(getPointer(doc, "/foo")).toEqual(["bar", "baz"]);
    expect(getPointer(doc, "/foo/0")).toBe("bar");
    expect(getPointer(doc, "/")).toBe(0);
    expect(getPointer(doc, "/a~1b")).toBe(1);
    expect(getPointer(doc, "/c%d")).toBe(2);
    expect(getPointer(doc, "/e^f")).toBe(3);
    expect(getPointer(doc, "/g|h")).toBe(4);
    expect(getPointer(doc, "/i\\j")).toBe(5);
    expect(getPointer(doc, '/k"l')).toBe(6);
    expect(getPointer(doc, "/ ")).toBe(7);
    expect(getPointer(doc, "/m~0n")).toBe(8);
  });
  test("~01 decodes to ~1, not /", () => {
    expect(parsePointer("/~01")).toEqual(["~1"]);
    expect(formatPointer(["~1", "a/b"])).toBe("/~01/a~1b");
  });
  test("missing paths and bad pointers throw PointerError naming the place", () => {
    expect(() => getPointer(doc, "/nope")).toThrow("/nope: no such property");
    expect(() => getPointer(doc, "/foo/2")).toThrow("/foo/2: no such array element");
    expect(() => getPointer(doc, "/foo/01")).toThrow(PointerError);
    expect(() => getPointer(doc, "/foo/0/x")).toThrow("parent is not an object or array");
    expect(() => getPointer(doc, "foo")).toThrow(PointerError);
    expect(() => getPointer({ a: 1 }, "/toString")).toThrow("no such property");
  });
  test("setPointer copies, replaces, appends with -, and refuses missing parents", () => {
    const input = { a: [1, 2], o: {} };
    expect(setPointer(input, "/a/0", 9)).toEqual({ a: [9, 2], o: {} });
    expect(setPointer(input, "/a/-", 3)).toEqual({ a: [1, 2, 3], o: {} });
    expect(setPointer(input, "/o/k~1ey", "v")).toEqual({ a: [1, 2], o: { "k/ey": "v" } });
    expect(setPointer(input, "", 5)).toBe(5);
    expect(input).toEqual({ a: [1, 2], o: {} });
    expect(() => setPointer(input, "/a/5", 1)).toThrow(/no such array element/);
    expect(() => setPointer(input, "/x/y", 1)).toThrow("/x: no such property");
  });
  test('setPointer treats "__proto__" as a plain member', () => {
    const out = setPointer({}, "/__proto__", { polluted: true }) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.hasOwn(out, "__proto__")).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe("name tables", () => {
  test("capabilities by kernel number", () => {
    expect(capabilityNumber("CAP_CHOWN")).toBe(0);
    expect(capabilityNumber("CAP_SYS_ADMIN")).toBe(21);
    expect(capabilityNumber("CAP_CHECKPOINT_RESTORE")).toBe(40);
    expect(capabilityNumber("CAP_NOPE")).toBeUndefined();
  });
  test("rlimits", () => {
    expect(rlimitNumber("RLIMIT_NOFILE")).toBe(7);
    expect(rlimitNumber("RLIMIT_RTTIME")).toBe(15);
    expect(rlimitNumber("toString")).toBeUndefined();
  });
  test("signals as runc kill accepts them", () => {
    expect(parseSignal("KILL")).toBe(9);
    expect(parseSignal("sigterm")).toBe(15);
    expect(parseSignal("9")).toBe(9);
    expect(parseSignal("SIGRTMIN+2")).toBe(36);
    expect(parseSignal("RTMAX-1")).toBe(63);
    expect(parseSignal("65")).toBeUndefined();
    expect(parseSignal("0")).toBeUndefined();
    expect(parseSignal("SIGFOO")).toBeUndefined();
    expect(parseSignal("SIGRTMAX+1")).toBeUndefined();
  });
});
