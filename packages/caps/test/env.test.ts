import { expect, test } from "bun:test";
import { dedupeEnv } from "../src/index.ts";

test("a repeated key keeps its first position and its last value (runc's os.Setenv)", () => {
  expect(dedupeEnv(["PATH=/bin", "TERM=xterm", "A=1", "TERM=dumb", "PATH=/usr/bin"])).toEqual(["PATH=/usr/bin", "TERM=dumb", "A=1"]);
  expect(dedupeEnv([])).toEqual([]);
  expect(dedupeEnv(["EMPTY=", "X=a=b"])).toEqual(["EMPTY=", "X=a=b"]);
});

test("entries without '=' or with an empty name are refused with their index", () => {
  expect(() => dedupeEnv(["A=1", "NOEQUALS"])).toThrow(/process\.env\[1\].*missing '='/);
  expect(() => dedupeEnv(["=x"])).toThrow(/process\.env\[0\].*name cannot be empty/);
});
