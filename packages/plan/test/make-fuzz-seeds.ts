/** Writes valid encoded plans to native/fuzz-seeds/ (the fuzzer's starting corpus): bun packages/plan/test/make-fuzz-seeds.ts */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { encodePlan } from "../src/index.ts";
import { EVERY_OP, fullPlan, minimalPlan } from "./plans.ts";

const dir = join(import.meta.dir, "../../../native/fuzz-seeds");
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, "full.bin"), encodePlan(fullPlan()));
writeFileSync(join(dir, "minimal.bin"), encodePlan(minimalPlan()));
EVERY_OP.forEach((op, i) => writeFileSync(join(dir, `op-${String(i).padStart(2, "0")}-${op.op}.bin`), encodePlan({ ...minimalPlan(), ops: [op] })));
console.log(`wrote ${EVERY_OP.length + 2} seeds to ${dir}`);
