/**
 * Notifications end to end: with NOTIFY_WEBHOOK_URL set, a gate that opens is
 * announced once to a real HTTP receiver with a single-use signed link; the
 * link opens the gate page without signing in, decides once, and answers 410
 * after that. Real `wrangler dev`, real Workflows, fake ports otherwise.
 */
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, type LocalStack, startLocalStack, until } from "./local-stack.ts";

interface Message {
  text: string;
  nightshift: { kind: string; runId: string; links: Array<{ label: string; url: string }> };
}

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
});
