/**
 * The Dns contract against the Cloudflare DNS adapter: the emulator over HTTP
 * (zones seeded, a Worker uploaded for custom domains) and the production
 * journal (D1's `idempotency` table, in Miniflare).
 */
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Miniflare } from "miniflare";
import { createCloudflareDns } from "../../src/adapters/dns/cloudflare.ts";
import { startEmulator } from "../../src/local/emulator/index.ts";
import { idempotencyJournal } from "../../src/store/idempotency.ts";
import { adminFetch, REPO, uploadWorker } from "../local/emulator/support.ts";
import { dnsContract } from "./dns.contract.ts";

dnsContract("Cloudflare adapter against the emulator", {}, async () => {
  const emu = await startEmulator({ log: () => {} });
  const made = await adminFetch(emu, `/__emulator/accounts`, {
    method: "POST",
    body: JSON.stringify({ name: "Contract DNS" }),
  });
  const org = (await made.json()) as { id: string; apiToken: string };
  const mf = new Miniflare({ modules: true, script: "export default {}", d1Databases: ["DB"] });
  const db = await mf.getD1Database("DB");
  const sql = readFileSync(join(REPO, "src/store/migrations/0001_init.sql"), "utf8");
  const table = /CREATE TABLE idempotency \([^;]+\);/.exec(sql)?.[0];
  if (!table) throw new Error("0001_init.sql has no idempotency table");
  await db.prepare(table).run();
  const workerName = "contract-shop";
  const up = await uploadWorker(
    emu,
    { id: org.id, token: org.apiToken },
    workerName,
    `export default { fetch() { return new Response("served"); } };`,
  );
  if (up.status !== 200) throw new Error(`could not upload the Worker: ${up.status}`);
  let zones = 0;
  return {
    dns: createCloudflareDns({
      apiBase: emu.apiBaseUrl,
      accountId: org.id,
      apiToken: org.apiToken,
      fetch,
      journal: idempotencyJournal(db as unknown as D1Database, "dns", () => Date.now()),
      now: () => Date.now(),
    }),
    zone: async () => {
      const zone = `contract-${zones++}.example`;
      await adminFetch(emu, `/__emulator/zones`, {
        method: "POST",
        body: JSON.stringify({ name: zone, accountId: org.id }),
      });
      return { zone, workerName };
    },
    // The emulator sees every account's writes; the contract's calls run one at a time.
    writes: async () => emu.requestLog.list({ kind: "api" }).filter((e) => e.method !== "GET").length,
    dispose: async () => {
      await mf.dispose();
      await emu.close();
      rmSync(emu.stateDir, { recursive: true, force: true });
    },
  };
});
