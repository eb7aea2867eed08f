import { describe, expect, test } from "bun:test";
import { planProcess } from "@oci-tools/caps";
import { composePlan, type Op, type Plan } from "@oci-tools/plan";
import { placeHookOps } from "../src/hooks.ts";

/** A composed plan from the caps planner alone, for a process with this env. */
function planFor(env: string[]): Plan {
  const spec = { process: { env, user: { uid: 0, gid: 0 }, cwd: "/" } };
  return composePlan({ containerId: "c", stage0: "exit", fragments: [{ processOps: planProcess(spec).processOps }], process: { args: ["sh"], env, preserveFds: 0 } });
}

const homeOp = (plan: Plan) => plan.ops.filter((op): op is Extract<Op, { op: "home-from-passwd" }> => op.op === "home-from-passwd");

describe("placeHookOps: HOME for startContainer hooks (runc's inherit its init's env, HOME included)", () => {
  test("the home op names the start hooks without their own env", () => {
    const plan = placeHookOps(planFor(["PATH=/bin"]), { startContainer: [{ path: "/a" }, { path: "/b", env: ["X=1"] }, { path: "/c" }] }, ["PATH=/bin"]);
    expect(homeOp(plan)).toEqual([{ op: "home-from-passwd", uid: 0, startHooks: [0, 2] }]);
    expect(plan.process.startHooks?.map((h) => h.env)).toEqual([["PATH=/bin"], ["X=1"], ["PATH=/bin"]]);
  });

  test("unchanged without inheriting start hooks, or without a home op (HOME given)", () => {
    const onlyCreate = placeHookOps(planFor(["PATH=/bin"]), { createContainer: [{ path: "/a" }] }, ["PATH=/bin"]);
    expect(homeOp(onlyCreate)).toEqual([{ op: "home-from-passwd", uid: 0, startHooks: [] }]);
    const ownEnv = placeHookOps(planFor(["PATH=/bin"]), { startContainer: [{ path: "/a", env: [] }] }, ["PATH=/bin"]);
    expect(homeOp(ownEnv)).toEqual([{ op: "home-from-passwd", uid: 0, startHooks: [] }]);
    const given = placeHookOps(planFor(["HOME=/h"]), { startContainer: [{ path: "/a" }] }, ["HOME=/h"]);
    expect(homeOp(given)).toEqual([]);
  });
});
