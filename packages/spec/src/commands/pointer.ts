import { type CommandIO, type ParsedArgs, ToolError, UsageError } from "@oci-tools/cli";
import { stringifyJson } from "../format.ts";
import { PointerError, getPointer, parsePointer, setPointer } from "../pointer.ts";
import { emit, inPlaceTarget, inputSource, readInput } from "./io.ts";

function checkedPointer(pointer: string): string {
  try {
    parsePointer(pointer);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  return pointer;
}

export function runGet(args: ParsedArgs, io: CommandIO): number {
  const pointer = checkedPointer(args.positional("pointer")!);
  const document = readInput(inputSource(args, args.positional("file")));
  let value: unknown;
  try {
    value = getPointer(document, pointer);
  } catch (error) {
    if (error instanceof PointerError) throw new ToolError(error.message);
    throw error;
  }
  io.stdout(args.bool("raw") && typeof value === "string" ? `${value}\n` : stringifyJson(value));
  return 0;
}

export function runSet(args: ParsedArgs, io: CommandIO): number {
  const pointer = checkedPointer(args.positional("pointer")!);
  const text = args.positional("value")!;
  let value: unknown;
  if (args.bool("string")) {
    value = text;
  } else {
    try {
      value = JSON.parse(text);
    } catch {
      throw new UsageError(`VALUE ${JSON.stringify(text)} is not JSON (quote it as JSON, or use --string)`);
    }
  }
  const source = inputSource(args, args.positional("file"));
  const target = inPlaceTarget(args, source);
  const document = readInput(source);
  let result: unknown;
  try {
    result = setPointer(document, pointer, value);
  } catch (error) {
    if (error instanceof PointerError) throw new ToolError(error.message);
    throw error;
  }
  emit(io, result, target);
  return 0;
}
