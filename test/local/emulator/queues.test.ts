/**
 * Queues through the unmodified wrangler CLI and the emulator: `queues
 * create/list/info/delete --temporary`, scoped per account and kept in the
 * store; a deploy with a producer and a consumer registers the consumer, and a
 * message the Worker sends reaches its own queue handler; the 11th queue of a
 * temporary account is refused with the limit named.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { limitOf } from "../../../src/jobs/temporary-account-support.ts";
import { adminFetch, deployTemporary, type Project, waitFor, wrangler, emulatorForFile } from "./support.ts";

const file = emulatorForFile();
const fixture = file.fixture;

async function ok(project: Project, args: string[]): Promise<string> {
  const run = await wrangler(project, [...args, "--temporary"], file.emu.apiBaseUrl);
  if (run.code !== 0)
    throw new Error(`wrangler ${args.join(" ")} failed (${run.code}):\n${run.stdout}\n${run.stderr}`);
  return run.stdout;
}

describe("queues on a temporary account", () => {
  test("create, list, info and delete work and are scoped to the account", async () => {
    const mine = fixture("queues");
    const other = fixture("queues");
    expect(await ok(mine, ["queues", "create", "orders-emu"])).toContain("Created queue 'orders-emu'");
    const list = await ok(mine, ["queues", "list"]);
    expect(list).toMatch(/│ [0-9a-f]{32} │ orders-emu/);

    const info = await ok(mine, ["queues", "info", "orders-emu"]);
    expect(info).toContain("Queue Name: orders-emu");
    expect(info).toContain("Number of Consumers: 0");

    // Another temporary account (its own wrangler home) sees none of them.
    expect(await ok(other, ["queues", "list"])).not.toContain("orders-emu");
    const missing = await wrangler(
      other,
      ["queues", "info", "orders-emu", "--temporary"],
      file.emu.apiBaseUrl,
    );
    expect(missing.code).not.toBe(0);
    expect(missing.stdout + missing.stderr).toContain('Queue "orders-emu" does not exist');

    expect(await ok(mine, ["queues", "delete", "orders-emu"])).toContain("Deleted queue orders-emu");
    expect(await ok(mine, ["queues", "list"])).not.toContain("orders-emu");
  });

  test("a deployed Worker sends a message to its queue and its queue handler receives it", async () => {
    const project = fixture("queues");
    await ok(project, ["queues", "create", "jobs-emu"]);
    const out = await deployTemporary(project, file.emu);
    const info = await ok(project, ["queues", "info", "jobs-emu"]);
    expect(info).toContain("Producers: worker:queue-emu");
    expect(info).toContain("Consumers: worker:queue-emu");

    const sent = await fetch(file.emu.localUrl(`${out.workersDevUrl}/send?id=m1`));
    expect(await sent.text()).toBe("sent m1");
    const read = async () => (await fetch(file.emu.localUrl(`${out.workersDevUrl}/seen?id=m1`))).text();
    await waitFor(async () => (await read()) !== "not yet");
    expect(await read()).toBe("received m1 from jobs-emu");

    // A redeploy updates the consumer (PUT) and the handler still receives.
    const again = await deployTemporary(project, file.emu);
    expect(again.workersDevUrl).toBe(out.workersDevUrl);
    await fetch(file.emu.localUrl(`${out.workersDevUrl}/send?id=m2`));
    await waitFor(
      async () =>
        (await (await fetch(file.emu.localUrl(`${out.workersDevUrl}/?id=m2`))).text()) !== "not yet",
    );
    expect(await (await fetch(file.emu.localUrl(`${out.workersDevUrl}/?id=m2`))).text()).toBe(
      "received m2 from jobs-emu",
    );
    const consumerCalls = file.emu.requestLog
      .list({ kind: "api", path: "/consumers" })
      .map((c) => `${c.method} ${c.status}`);
    expect(consumerCalls).toEqual(["POST 200", "PUT 200"]);
  });

  test("a message one Worker sends reaches the queue handler of another Worker of the account", async () => {
    const producer = fixture("queue-producer");
    const consumer = fixture("queue-consumer");
    // Both projects deploy to one temporary account: the consumer reuses the producer's wrangler home.
    consumer.home = producer.home;
    consumer.xdg = producer.xdg;
    const sender = await deployTemporary(producer, file.emu);
    const receiver = await deployTemporary(consumer, file.emu);
    expect(receiver.accountName).toBe(sender.accountName);
    const info = await ok(producer, ["queues", "info", "handoff-emu"]);
    expect(info).toContain("Producers: worker:handoff-producer");
    expect(info).toContain("Consumers: worker:handoff-consumer");

    expect(await (await fetch(file.emu.localUrl(`${sender.workersDevUrl}/?id=x1`))).text()).toBe("sent x1");
    const read = async () => (await fetch(file.emu.localUrl(`${receiver.workersDevUrl}/?id=x1`))).text();
    await waitFor(async () => (await read()) !== "not yet");
    expect(await read()).toBe("producer → handoff-emu (attempt 1)");

    // The hand-over is authenticated by the queue's own token: a guess is refused.
    const forged = await fetch(`${file.emu.url}/__emulator/queue-delivery/x/handoff-emu`, {
      method: "POST",
      headers: { authorization: "Bearer guess" },
      body: JSON.stringify({ messages: [] }),
    });
    expect(forged.status).toBe(401);

    // A queue has one Worker consumer: a second one is refused, naming the first.
    const second = fixture("queue-consumer");
    second.home = producer.home;
    second.xdg = producer.xdg;
    const config = join(second.dir, "wrangler.jsonc");
    writeFileSync(config, readFileSync(config, "utf8").replace('"handoff-consumer"', '"handoff-consumer-2"'));
    const refused = await wrangler(second, ["deploy", "--temporary"], file.emu.apiBaseUrl);
    expect(refused.code).not.toBe(0);
    expect(refused.stdout + refused.stderr).toContain(
      "Queue handoff-emu already has a consumer (handoff-consumer); a queue has one Worker consumer",
    );
  });

  test("a deploy whose queue does not exist yet creates it (wrangler's provisioning) and registers the consumer", async () => {
    const project = fixture("queues");
    await deployTemporary(project, file.emu);
    const info = await ok(project, ["queues", "info", "jobs-emu"]);
    expect(info).toContain("Number of Producers: 1");
    expect(info).toContain("Consumers: worker:queue-emu");
  });

  test("queues persist across an emulator restart", async () => {
    const project = fixture("queues");
    await ok(project, ["queues", "create", "kept-emu"]);
    await file.restart();
    expect(await ok(project, ["queues", "list"])).toContain("kept-emu");
  });

  test("claiming moves the queues to the permanent account; an expired account's queues go with it", async () => {
    const claimed = fixture("queues");
    const created = await wrangler(
      claimed,
      ["queues", "create", "claimed-emu", "--temporary"],
      file.emu.apiBaseUrl,
    );
    const claimUrl = /^\tClaim URL: (\S+)$/m.exec(created.stderr)?.[1];
    if (!claimUrl) throw new Error(`no claim URL in:\n${created.stderr}`);
    const org = (await (
      await adminFetch(file.emu, "/__emulator/accounts", {
        method: "POST",
        body: JSON.stringify({ name: "Queue Org" }),
      })
    ).json()) as { id: string; apiToken: string };
    const claim = await fetch(claimUrl, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: `account=${org.id}`,
    });
    expect(claim.status).toBe(200);
    const list = await fetch(`${file.emu.apiBaseUrl}/accounts/${org.id}/queues`, {
      headers: { authorization: `Bearer ${org.apiToken}` },
    });
    const queues = ((await list.json()) as { result: { queue_name: string }[] }).result;
    expect(queues.map((q) => q.queue_name)).toEqual(["claimed-emu"]);

    const expiring = fixture("queues");
    await ok(expiring, ["queues", "create", "expiring-emu"]);
    const stateFile = join(file.emu.stateDir, "state.json");
    const names = () =>
      Object.values(
        (
          JSON.parse(readFileSync(stateFile, "utf8")) as {
            queues: Record<string, { name: string; accountId: string }>;
          }
        ).queues,
      );
    const owner = names().find((q) => q.name === "expiring-emu")?.accountId;
    expect(owner).toBeDefined();
    expect(
      (await adminFetch(file.emu, `/__emulator/accounts/${owner}/expire`, { method: "POST" })).status,
    ).toBe(200);
    expect(names().map((q) => q.name)).not.toContain("expiring-emu");
    expect(names().map((q) => q.name)).toContain("claimed-emu");
  });

  test("the queue after the temporary account's limit is refused with the limit named", async () => {
    const project = fixture("queues");
    const max = limitOf("queues", "queues");
    // The first through wrangler (it makes the account), the rest straight to the API with the
    // account wrangler cached: only the one past the limit needs wrangler's own output.
    await ok(project, ["queues", "create", "q1-emu"]);
    const cache = readFileSync(join(project.xdg, ".wrangler", "wrangler-temporary-account.toml"), "utf8");
    const accountId = /^id = "([0-9a-f]+)"/m.exec(cache)?.[1];
    const token = /^apiToken = "([^"]+)"/m.exec(cache)?.[1];
    for (let i = 2; i <= max; i++) {
      const made = await fetch(`${file.emu.apiBaseUrl}/accounts/${accountId}/queues`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ queue_name: `q${i}-emu` }),
      });
      expect(made.status).toBe(200);
    }
    const refused = await wrangler(
      project,
      ["queues", "create", "one-too-many", "--temporary"],
      file.emu.apiBaseUrl,
    );
    expect(refused.code).not.toBe(0);
    const output = refused.stdout + refused.stderr;
    expect(output).toContain(`a temporary account may have ${max} queues`);
    expect(output).toContain("[code: 10253]");
    expect(await ok(project, ["queues", "list"])).not.toContain("one-too-many");
  });
});
