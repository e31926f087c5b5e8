/**
 * Notifications end to end: with NOTIFY_WEBHOOK_URL set, a gate that opens is
 * announced once to a real HTTP receiver with a single-use signed link; the
 * link opens the gate page without signing in, decides once, and answers 410
 * after that. A gate that expires and the run that fails with it are
 * announced once each, however often the sweeper runs. Real `wrangler dev`,
 * real Workflows, fake ports otherwise.
 */
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, type LocalStack, startLocalStack, until } from "./local-stack.ts";

interface Message {
  text: string;
  nightshift: {
    kind: string;
    runId: string;
    idempotencyKey: string;
    gate?: { kind: string; seq: number };
    links: Array<{ label: string; url: string }>;
  };
}

const messagesOf = (runId: string, kind: string) =>
  received.filter((m) => m.nightshift.kind === kind && m.nightshift.runId === runId);

let stack: LocalStack;
let receiver: Server;
const received: Message[] = [];

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let text = "";
    req.on("data", (chunk) => {
      text += chunk;
    });
    req.on("end", () => {
      received.push(JSON.parse(text) as Message);
      res.end("ok");
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  const hook = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook`;
  const port = await freePort();
  stack = await startLocalStack(
    { NOTIFY_WEBHOOK_URL: hook, NIGHTSHIFT_PUBLIC_URL: `http://127.0.0.1:${port}` },
    port,
  );
});

afterAll(async () => {
  await stack?.close();
  await new Promise<void>((resolve) => receiver?.close(() => resolve()));
});

describe("gate notifications", () => {
  it("sends one message per gate with a signed link that decides once", async () => {
    const id = "notify-claim";
    await stack.runTo("loop", id, "awaitingClaim");
    const message = await until("the gate notification", async () =>
      received.find((m) => m.nightshift.kind === "gate.opened" && m.nightshift.runId === id),
    );
    expect(
      received.filter((m) => m.nightshift.kind === "gate.opened" && m.nightshift.runId === id),
    ).toHaveLength(1);
    const link = message.nightshift.links.find((l) => l.label.includes("single-use"));
    expect(link?.url).toMatch(new RegExp(`^${stack.url}/inbox/l/`));

    const page = await fetch(link!.url);
    expect(page.status).toBe(200);
    const html = await page.text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(html)![1]!;
    const viewHash = /name="viewHash" value="([^"]+)"/.exec(html)![1]!;
    const post = (decision: string) =>
      fetch(link!.url, {
        method: "POST",
        redirect: "manual",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ decision, csrf, viewHash, reason: "from chat" }).toString(),
      });
    expect((await post("approve")).status).toBe(303);
    expect((await post("approve")).status).toBe(410);
    expect((await fetch(link!.url)).status).toBe(410);

    await until("the run to finish", async () =>
      (await stack.call(`/api/runs/${id}`)).body.run.status === "final" ? true : undefined,
    );
    const { body } = await stack.call(`/api/runs/${id}`);
    expect(body.run.state).toBe("succeeded");
    expect(body.gates[0].decidedBy).toMatch(/^notification recipient \(signed link lnk_/);
    await until("the run.finished message", async () =>
      received.find((m) => m.nightshift.kind === "run.finished" && m.nightshift.runId === id),
    );
  });

  it("announces an expired gate and the failed run once each, with the reason", async () => {
    const id = "notify-expired";
    // The claim gate of this job times out after 2 s; the run expires it itself.
    const started = await stack.call("/api/jobs/loop-short-gate/runs", { json: { id } });
    expect(started.status).toBe(201);
    await until("the run to expire", async () =>
      (await stack.call(`/api/runs/${id}`)).body.run.state === "expired" ? true : undefined,
    );
    const failed = await until("the run.failed message", async () => messagesOf(id, "run.failed")[0]);
    const expired = await until("the gate.expired message", async () => messagesOf(id, "gate.expired")[0]);
    expect(failed.text).toMatch(/claim gate timed out/);
    expect(expired.nightshift).toMatchObject({
      idempotencyKey: `${id}:gate:claim#1/expired`,
      gate: { kind: "claim", seq: 1 },
    });
    // An expired gate can no longer be decided: the inbox page, no signed link.
    expect(expired.nightshift.links.map((l) => l.label)).toEqual(["Open in the inbox"]);

    // The sweeper, run twice, finds nothing left to announce.
    for (const _ of [1, 2]) {
      const swept = await stack.call("/api/sweep", { method: "POST" });
      expect(swept.status).toBe(200);
      expect(swept.body.noticedExpired).toEqual([]);
    }
    expect(messagesOf(id, "gate.expired")).toHaveLength(1);
    expect(messagesOf(id, "run.failed")).toHaveLength(1);
    expect(messagesOf(id, "run.finished")).toHaveLength(0);
  });
});
