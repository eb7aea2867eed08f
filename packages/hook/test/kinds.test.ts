import { describe, expect, test } from "bun:test";
import { HOOK_KINDS, HOOK_NAMES, hookStatus, isHookName, parseState, stateJson } from "../src/index.ts";

describe("hookStatus (CLI-CONTRACT: Hooks' view of the state)", () => {
  test.each([
    ["prestart", "creating"],
    ["createRuntime", "creating"],
    ["createContainer", "creating"],
    ["startContainer", "created"],
    ["poststart", "running"],
    ["poststop", "stopped"],
  ] as const)("%s sees %s", (name, status) => {
    expect(hookStatus(name)).toBe(status);
  });

  test("an unknown list is refused with the known names", () => {
    expect(() => hookStatus("prestop" as never)).toThrow(/unknown hook list "prestop".*prestart, createRuntime/);
    expect(isHookName("prestop")).toBe(false);
    expect(isHookName("toString")).toBe(false);
    expect(isHookName("poststop")).toBe(true);
  });

  test("lifecycle order, and only poststop merely warns", () => {
    expect(HOOK_NAMES).toEqual(["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"]);
    expect(HOOK_NAMES.filter((n) => HOOK_KINDS[n].onFailure === "warn")).toEqual(["poststop"]);
    expect(HOOK_NAMES.filter((n) => HOOK_KINDS[n].runsIn === "container")).toEqual(["createContainer", "startContainer"]);
    expect(HOOK_NAMES.filter((n) => HOOK_KINDS[n].pathResolvesIn === "container")).toEqual(["startContainer"]);
  });
});

describe("stateJson", () => {
  test("byte for byte what runc 1.1.5 wrote to a prestart hook's stdin", () => {
    const line = stateJson({ ociVersion: "1.0.2-dev", id: "hx1", status: "creating", pid: 4077, bundle: "/tmp/hookexp.cKtB", annotations: { a: "b" } });
    expect(line).toBe('{"ociVersion":"1.0.2-dev","id":"hx1","status":"creating","pid":4077,"bundle":"/tmp/hookexp.cKtB","annotations":{"a":"b"}}');
  });

  test("field order does not depend on the object's, pid 0 and empty annotations are left out (as runc's poststop state)", () => {
    const line = stateJson({ annotations: {}, bundle: "/b", pid: 0, status: "stopped", id: "c", ociVersion: "1.2.0" });
    expect(line).toBe('{"ociVersion":"1.2.0","id":"c","status":"stopped","bundle":"/b"}');
  });
});

describe("parseState", () => {
  const good = { ociVersion: "1.2.0", id: "c", status: "running", pid: 7, bundle: "/b", annotations: { k: "v" } };
  test("accepts a state and returns it", () => {
    expect(parseState(good) as unknown).toEqual(good);
  });
  test.each([
    [[], /not a JSON object/],
    [null, /not a JSON object/],
    [{ ...good, id: 3 }, /"id" must be a string/],
    [{ ...good, bundle: undefined }, /"bundle" must be a string/],
    [{ ...good, status: "sleeping" }, /unknown status "sleeping"/],
    [{ ...good, pid: -1 }, /"pid" must be a non-negative integer/],
    [{ ...good, pid: "7" }, /"pid" must be a non-negative integer/],
    [{ ...good, annotations: { k: 1 } }, /"annotations" must be an object of strings/],
  ])("refuses %j", (value, message) => {
    expect(() => parseState(value, "s.json")).toThrow(message);
  });
});
