/**
 * The emulator's state survives a restart: accounts (wrangler's cached token
 * keeps working), deployed Workers (served again, started on first request),
 * KV data written by a Worker, and seeded zones.
 */
import { rmSync } from "node:fs";
import { afterAll, expect, test } from "vitest";
import { type Emulator, startEmulator } from "../../../src/local/emulator/index.ts";
import { adminFetch, copyFixture, deployTemporary } from "./support.ts";

const project = copyFixture("kv");
const emulators: Emulator[] = [];

afterAll(async () => {
  for (const emu of emulators) await emu.close();
  if (emulators[0]) rmSync(emulators[0].stateDir, { recursive: true, force: true });
  project.remove();
});

test("accounts, Workers, KV data and zones survive an emulator restart", async () => {
  const first = await startEmulator({ log: () => {} });
  emulators.push(first);
  const out = await deployTemporary(project, first);
  expect(await (await fetch(first.localUrl(out.workersDevUrl))).text()).toBe("count=1");
  await adminFetch(first, `/__emulator/zones`, {
    method: "POST",
    body: JSON.stringify({ name: "example.org" }),
  });
  await first.close();
  emulators.pop();

  const second = await startEmulator({ stateDir: first.stateDir, log: () => {} });
  emulators.push(second);
  expect(second.url).not.toBe(first.url);
  expect(await (await fetch(second.localUrl(out.workersDevUrl))).text()).toBe("count=2");
  const zones = (await (await adminFetch(second, `/__emulator/zones`)).json()) as {
    result: { name: string }[];
  };
  expect(zones.result.map((z) => z.name)).toEqual(["example.org"]);

  const again = await deployTemporary(project, second);
  expect(again.accountState).toBe("reused");
  expect(again.workersDevUrl).toBe(out.workersDevUrl);
  expect(await (await fetch(second.localUrl(out.workersDevUrl))).text()).toBe("count=3");
  expect(second.requestLog.list({ path: "/provisioning/previews" })).toHaveLength(0);
});
