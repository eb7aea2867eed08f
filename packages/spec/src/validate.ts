/**
 * validateSpec: the generated JSON Schema validator (compiled ahead of time by
 * scripts/build-validator.ts) plus the semantic checks, all violations at once.
 */
import { type AjvError, type GeneratedValidator, validateConfig } from "./generated/validate.js";
import { childPointer } from "./pointer.ts";
import { semanticViolations } from "./semantic.ts";
import type { Violation } from "./types.ts";

export interface ValidateOptions {
  /** Report properties runtime-spec does not define (normally ignored, as the spec requires). */
  strict?: boolean;
}

export function validateSpec(value: unknown, options: ValidateOptions = {}): Violation[] {
  const validator = options.strict ? strictValidator() : validateConfig;
  const schemaViolations = validator(value) ? [] : (validator.errors ?? []).map(toViolation);
  const all = [...schemaViolations, ...semanticViolations(value)];
  return dedupe(all).sort(byPointer);
}

/**
 * The strict validator is a second ~140 KB module that only `--strict` needs;
 * a synchronous require keeps validateSpec synchronous while leaving it
 * unloaded (and unparsed) for everyone else.
 */
function strictValidator(): GeneratedValidator {
  return (require("./generated/validate-strict.js") as typeof import("./generated/validate-strict.js")).validateConfigStrict;
}

function toViolation(error: AjvError): Violation {
  const params = error.params;
  switch (error.keyword) {
    case "required":
      return { pointer: childPointer(error.instancePath, String(params.missingProperty)), message: "is required" };
    case "additionalProperties":
      return { pointer: childPointer(error.instancePath, String(params.additionalProperty)), message: "unknown property (not in runtime-spec 1.2)" };
    case "enum":
      return {
        pointer: error.instancePath,
        message: `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`,
      };
    case "type":
      return { pointer: error.instancePath, message: `must be ${params.type === "integer" ? "an integer" : `of type ${String(params.type)}`}` };
    case "minimum":
    case "maximum":
    case "exclusiveMinimum":
    case "exclusiveMaximum":
      return { pointer: error.instancePath, message: `must be ${String(params.comparison)} ${String(params.limit)}` };
    case "minItems":
      return { pointer: error.instancePath, message: `must have at least ${String(params.limit)} item${params.limit === 1 ? "" : "s"}` };
    case "maxItems":
      return { pointer: error.instancePath, message: `must have at most ${String(params.limit)} items` };
    case "pattern":
      return { pointer: error.instancePath, message: `must match ${String(params.pattern)}` };
    default:
      // Keywords the schema does not use today; the generated code carries no messages (messages: false).
      return { pointer: error.instancePath, message: error.message ?? `fails the schema's "${error.keyword}" rule` };
  }
}

function dedupe(violations: Violation[]): Violation[] {
  const seen = new Set<string>();
  return violations.filter((v) => {
    const key = `${v.pointer}\0${v.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function byPointer(a: Violation, b: Violation): number {
  return a.pointer < b.pointer ? -1 : a.pointer > b.pointer ? 1 : 0;
}

export { formatViolation } from "./format.ts";
