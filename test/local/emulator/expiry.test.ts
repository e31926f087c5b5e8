/**
 * Temporary accounts expire: with a lifetime of a few seconds, the account,
 * its Workers and its token stop working, the old workers.dev URL answers like
 * a deleted Worker, the claim link says it expired, and the next deploy
 * provisions a new account.
 */
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { parse } from "smol-toml";
import { afterAll, beforeAll, expect, test } from "vitest";
import { type Emulator, startEmulator } from "../../../src/local/emulator/index.ts";
import {
  adminFetch,
  copyFixture,
  deployTemporary,
  type Project,
  provisioningCalls,
  waitFor,
} from "./support.ts";

const LIFETIME_MS = 8_000;
let emu: Emulator;
let project: Project;

beforeAll(async () => {
  emu = await startEmulator({ accountLifetimeMs: LIFETIME_MS, sweepIntervalMs: 250, log: () => {} });
  project = copyFixture("hello");
});

afterAll(async () => {
  await emu.close();
  rmSync(emu.stateDir, { recursive: true, force: true });
  project.remove();
});

test("an expired account is deleted with its Workers, and the next deploy provisions a new one", async () => {
  const first = await deployTemporary(project, emu);
  expect(first.accountState).toBe("created");
  expect((await fetch(emu.localUrl(first.workersDevUrl))).status).toBe(200);
  const cache = parse(
    readFileSync(join(project.xdg, ".wrangler", "wrangler-temporary-account.toml"), "utf8"),
  ) as {
    account: { id: string; apiToken: string };
  };

  await waitFor(
    async () => ((await (await adminFetch(emu, `/__emulator/accounts`)).json()) as unknown[]).length === 0,
  );

  const gone = await fetch(emu.localUrl(first.workersDevUrl));
  expect(gone.status).toBe(404);
  expect(await gone.text()).toContain("There is nothing here yet");

  const withOldToken = await fetch(
    `${emu.apiBaseUrl}/accounts/${cache.account.id}/workers/services/hello-emu`,
    {
      headers: { authorization: `Bearer ${cache.account.apiToken}` },
    },
  );
  expect(withOldToken.status).toBe(401);
  expect(await withOldToken.json()).toEqual({
    success: false,
    errors: [{ code: 10000, message: "Authentication error" }],
    messages: [],
    result: null,
  });
  expect((await fetch(first.claimUrl)).status).toBe(410);

  const second = await deployTemporary(project, emu);
  expect(second.accountState).toBe("created");
  expect(second.workersDevUrl).not.toBe(first.workersDevUrl);
  expect(await provisioningCalls(emu)).toBe(2);
  expect((await fetch(emu.localUrl(second.workersDevUrl))).status).toBe(200);
});
