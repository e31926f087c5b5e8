/**
 * Queues through the unmodified wrangler CLI and the emulator: `queues
 * create/list/info/delete --temporary`, scoped per account and kept in the
 * store; a deploy with a producer and a consumer registers the consumer, and a
 * message the Worker sends reaches its own queue handler; the 11th queue of a
 * temporary account is refused with the limit named.
 */
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { limitOf } from "../../../src/jobs/temporary-account-support.ts";
import { type Emulator, startEmulator } from "../../../src/local/emulator/index.ts";
import { adminFetch, copyFixture, deployTemporary, type Project, waitFor, wrangler } from "./support.ts";

let emu: Emulator;
const projects: Project[] = [];
const fixture = (name: string) => {
  const project = copyFixture(name);
  projects.push(project);
  return project;
};

beforeAll(async () => {
  emu = await startEmulator({ log: () => {} });
});

afterAll(async () => {
  await emu.close();
  rmSync(emu.stateDir, { recursive: true, force: true });
  for (const p of projects) p.remove();
});

async function ok(project: Project, args: string[]): Promise<string> {
  const run = await wrangler(project, [...args, "--temporary"], emu.apiBaseUrl);
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
    const missing = await wrangler(other, ["queues", "info", "orders-emu", "--temporary"], emu.apiBaseUrl);
    expect(missing.code).not.toBe(0);
    expect(missing.stdout + missing.stderr).toContain('Queue "orders-emu" does not exist');

    expect(await ok(mine, ["queues", "delete", "orders-emu"])).toContain("Deleted queue orders-emu");
    expect(await ok(mine, ["queues", "list"])).not.toContain("orders-emu");
  });

  test("a deployed Worker sends a message to its queue and its queue handler receives it", async () => {
    const project = fixture("queues");
    await ok(project, ["queues", "create", "jobs-emu"]);
    const out = await deployTemporary(project, emu);
    const info = await ok(project, ["queues", "info", "jobs-emu"]);
    expect(info).toContain("Producers: worker:queue-emu");
    expect(info).toContain("Consumers: worker:queue-emu");

    const sent = await fetch(emu.localUrl(`${out.workersDevUrl}/send?id=m1`));
    expect(await sent.text()).toBe("sent m1");
    const read = async () => (await fetch(emu.localUrl(`${out.workersDevUrl}/seen?id=m1`))).text();
    await waitFor(async () => (await read()) !== "not yet");
    expect(await read()).toBe("received m1 from jobs-emu");

    // A redeploy updates the consumer (PUT) and the handler still receives.
    const again = await deployTemporary(project, emu);
    expect(again.workersDevUrl).toBe(out.workersDevUrl);
    await fetch(emu.localUrl(`${out.workersDevUrl}/send?id=m2`));
    await waitFor(
      async () => (await (await fetch(emu.localUrl(`${out.workersDevUrl}/?id=m2`))).text()) !== "not yet",
    );
    expect(await (await fetch(emu.localUrl(`${out.workersDevUrl}/?id=m2`))).text()).toBe(
      "received m2 from jobs-emu",
    );
    const consumerCalls = emu.requestLog
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
    const sender = await deployTemporary(producer, emu);
    const receiver = await deployTemporary(consumer, emu);
    expect(receiver.accountName).toBe(sender.accountName);
    const info = await ok(producer, ["queues", "info", "handoff-emu"]);
    expect(info).toContain("Producers: worker:handoff-producer");
    expect(info).toContain("Consumers: worker:handoff-consumer");

    expect(await (await fetch(emu.localUrl(`${sender.workersDevUrl}/?id=x1`))).text()).toBe("sent x1");
    const read = async () => (await fetch(emu.localUrl(`${receiver.workersDevUrl}/?id=x1`))).text();
    await waitFor(async () => (await read()) !== "not yet");
    expect(await read()).toBe("producer → handoff-emu (attempt 1)");

    // The hand-over is authenticated by the queue's own token: a guess is refused.
    const forged = await fetch(`${emu.url}/__emulator/queue-delivery/x/handoff-emu`, {
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
    const refused = await wrangler(second, ["deploy", "--temporary"], emu.apiBaseUrl);
    expect(refused.code).not.toBe(0);
    expect(refused.stdout + refused.stderr).toContain(
      "Queue handoff-emu already has a consumer (handoff-consumer); a queue has one Worker consumer",
    );
  });

  test("a deploy whose queue does not exist yet creates it (wrangler's provisioning) and registers the consumer", async () => {
    const project = fixture("queues");
    await deployTemporary(project, emu);
    const info = await ok(project, ["queues", "info", "jobs-emu"]);
    expect(info).toContain("Number of Producers: 1");
    expect(info).toContain("Consumers: worker:queue-emu");
  });

  test("queues persist across an emulator restart", async () => {
    const stateDir = emu.stateDir;
    const project = fixture("queues");
    await ok(project, ["queues", "create", "kept-emu"]);
    await emu.close();
    emu = await startEmulator({ log: () => {}, stateDir });
    expect(await ok(project, ["queues", "list"])).toContain("kept-emu");
  });

  test("claiming moves the queues to the permanent account; an expired account's queues go with it", async () => {
    const claimed = fixture("queues");
    const created = await wrangler(
      claimed,
      ["queues", "create", "claimed-emu", "--temporary"],
      emu.apiBaseUrl,
    );
    const claimUrl = /^\tClaim URL: (\S+)$/m.exec(created.stderr)?.[1];
    if (!claimUrl) throw new Error(`no claim URL in:\n${created.stderr}`);
    const org = (await (
      await adminFetch(emu, "/__emulator/accounts", {
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
    const list = await fetch(`${emu.apiBaseUrl}/accounts/${org.id}/queues`, {
      headers: { authorization: `Bearer ${org.apiToken}` },
    });
    const queues = ((await list.json()) as { result: { queue_name: string }[] }).result;
    expect(queues.map((q) => q.queue_name)).toEqual(["claimed-emu"]);

    const expiring = fixture("queues");
    await ok(expiring, ["queues", "create", "expiring-emu"]);
    const stateFile = join(emu.stateDir, "state.json");
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
    expect((await adminFetch(emu, `/__emulator/accounts/${owner}/expire`, { method: "POST" })).status).toBe(
      200,
    );
    expect(names().map((q) => q.name)).not.toContain("expiring-emu");
    expect(names().map((q) => q.name)).toContain("claimed-emu");
  });

  test("the queue after the temporary account's limit is refused with the limit named", async () => {
    const project = fixture("queues");
    const max = limitOf("queues", "queues");
    for (let i = 1; i <= max; i++) await ok(project, ["queues", "create", `q${i}-emu`]);
    const refused = await wrangler(
      project,
      ["queues", "create", "one-too-many", "--temporary"],
      emu.apiBaseUrl,
    );
    expect(refused.code).not.toBe(0);
    const output = refused.stdout + refused.stderr;
    expect(output).toContain(`a temporary account may have ${max} queues`);
    expect(output).toContain("[code: 10253]");
    expect(await ok(project, ["queues", "list"])).not.toContain("one-too-many");
  });
});
