/**
 * 50 containers created, started, killed and deleted in parallel: every
 * command succeeds, every state is right at each step, nothing leaks.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { TestEnv, type Result } from "../lib/container.ts";

const N = 50;
let env: TestEnv;
let bundle: string;

beforeAll(async () => {
  env = new TestEnv();
  bundle = await env.bundle("par", { edit: (c) => (c.process.args = ["sleep", "300"]) });
});

afterAll(() => {
  env.finish();
});

function ok(r: Result, what: string) {
  if (r.code !== 0) throw new Error(`${what}: exit ${r.code}: ${r.stderr}`);
}

async function statusOf(id: string): Promise<string> {
  const r = await env.ociRunAsync("state", id);
  ok(r, `state ${id}`);
  return (JSON.parse(r.stdout) as { status: string }).status;
}

test(`${N} containers in parallel: create, start, kill, delete`, async () => {
  const ids = Array.from({ length: N }, (_, i) => env.id(`p${i}`));
  await Promise.all(ids.map(async (id) => ok(await env.ociRunAsync("create", "-b", bundle, id), `create ${id}`)));
  expect(await Promise.all(ids.map(statusOf))).toEqual(ids.map(() => "created"));

  const list = JSON.parse((await env.ociRunAsync("list", "--format", "json")).stdout) as { id: string; status: string; pid: number }[];
  expect(list.map((c) => c.id).sort()).toEqual([...ids].sort());
  expect(new Set(list.map((c) => c.pid)).size).toBe(N); // N distinct inits

  await Promise.all(ids.map(async (id) => ok(await env.ociRunAsync("start", id), `start ${id}`)));
  expect(await Promise.all(ids.map(statusOf))).toEqual(ids.map(() => "running"));

  await Promise.all(ids.map(async (id) => ok(await env.ociRunAsync("kill", id, "KILL"), `kill ${id}`)));
  const deadline = Date.now() + 10_000;
  for (;;) {
    const st = await Promise.all(ids.map(statusOf));
    if (st.every((s) => s === "stopped")) break;
    if (Date.now() > deadline) throw new Error(`not all stopped: ${st.join(",")}`);
    await Bun.sleep(50);
  }

  await Promise.all(ids.map(async (id) => ok(await env.ociRunAsync("delete", id), `delete ${id}`)));
  expect(readdirSync(env.root)).toEqual([]);
  expect((await env.ociRunAsync("list", "--format", "json")).stdout).toBe("null\n");
}, 120_000);

test("concurrent operations on one id serialise: exactly one create wins, deletes all succeed", async () => {
  const id = env.id("race");
  const creates = await Promise.all(Array.from({ length: 8 }, () => env.ociRunAsync("create", "-b", bundle, id)));
  expect(creates.filter((r) => r.code === 0)).toHaveLength(1);
  for (const r of creates.filter((r) => r.code !== 0)) expect(r.stderr).toContain("already exists");
  const deletes = await Promise.all(Array.from({ length: 8 }, () => env.ociRunAsync("delete", "--force", id)));
  expect(deletes.map((r) => r.code)).toEqual(deletes.map(() => 0));
  expect(readdirSync(env.root)).toEqual([]);
}, 60_000);
