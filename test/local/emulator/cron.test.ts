/**
 * Cron triggers: `wrangler deploy --temporary` of a Worker with
 * `triggers.crons` records its schedules (wrangler's `PUT …/schedules`), and
 * the admin API fires its scheduled handler on demand, which the Worker's own
 * effect (a KV count per cron) shows.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { adminFetch, deployTemporary, emulatorForFile } from "./support.ts";

const file = emulatorForFile();
const fixture = file.fixture;

const fire = (host: string, cron?: string, init: RequestInit = {}) =>
  adminFetch(
    file.emu,
    `/__emulator/workers/${host}/scheduled${cron === undefined ? "" : `?cron=${encodeURIComponent(cron)}`}`,
    { method: "POST", ...init },
  );

describe("cron triggers", () => {
  test("the schedules wrangler sends are recorded and each fires the Worker's scheduled handler", async () => {
    const project = fixture("cron");
    const out = await deployTemporary(project, file.emu);
    const host = new URL(out.workersDevUrl).host;
    const put = file.emu.requestLog.list({ kind: "api", path: "/cron-emu/schedules", method: "PUT" });
    expect(put.map((c) => c.status)).toEqual([200]);

    const first = await fire(host, "*/5 * * * *");
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({ script: "cron-emu", cron: "*/5 * * * *", outcome: "ok" });
    expect((await fire(host, "*/5 * * * *")).status).toBe(200);
    expect((await fire(host, "0 3 * * 1")).status).toBe(200);
    const runs = await (await fetch(file.emu.localUrl(out.workersDevUrl))).json();
    expect(runs).toEqual({ "runs:*/5 * * * *": "2", "runs:0 3 * * 1": "1" });

    // Not one of its schedules, or ambiguous: refused with the schedules named.
    const wrong = await fire(host, "* * * * *");
    expect(wrong.status).toBe(400);
    expect(JSON.stringify(await wrong.json())).toContain(
      "cron must be one of this Worker's schedules: */5 * * * *, 0 3 * * 1",
    );
    expect((await fire(host)).status).toBe(400);
  });

  test("a redeploy replaces the schedules; one schedule fires without naming it", async () => {
    const project = fixture("cron");
    const config = join(project.dir, "wrangler.jsonc");
    await deployTemporary(project, file.emu);
    writeFileSync(config, readFileSync(config, "utf8").replace('"*/5 * * * *", "0 3 * * 1"', '"15 * * * *"'));
    const out = await deployTemporary(project, file.emu);
    const host = new URL(out.workersDevUrl).host;
    expect((await fire(host, "*/5 * * * *")).status).toBe(400);
    const fired = await fire(host);
    expect(await fired.json()).toMatchObject({ cron: "15 * * * *", outcome: "ok" });
    expect(await (await fetch(file.emu.localUrl(out.workersDevUrl))).json()).toEqual({
      "runs:15 * * * *": "1",
    });
  });

  test("firing needs the admin secret, a deployed Worker and crons", async () => {
    const noSecret = await fetch(`${file.emu.url}/__emulator/workers/x.tmp-00000000.workers.dev/scheduled`, {
      method: "POST",
    });
    expect(noSecret.status).toBe(401);
    expect((await fire("nothing.tmp-00000000.workers.dev", "* * * * *")).status).toBe(404);
    const hello = await deployTemporary(fixture("hello"), file.emu);
    const none = await fire(new URL(hello.workersDevUrl).host, "* * * * *");
    expect(none.status).toBe(400);
    expect(JSON.stringify(await none.json())).toContain("Worker hello-emu has no cron triggers");
  });
});
