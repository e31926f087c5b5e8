/**
 * Issue 15, item 5, in a real browser (chromium through playwright-core)
 * against the test Worker under real `wrangler dev`: a person signed in to the
 * inbox opens a page served on ANOTHER local port, which tries to approve a
 * gate through `/api/*` with the inbox's cookie: an auto-submitted `text/plain`
 * form and a `no-cors` fetch with credentials. Another port of the same host is
 * the same site, so the SameSite=Strict cookie goes along: what stops them is
 * the API itself (no cookie on /api, exact Origin, JSON bodies only). The gate
 * stays pending (read back through the API with the bearer token), and the
 * inbox's own approve button still decides it.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Browser, BrowserContext } from "playwright-core";
import { launchChromium } from "../support/browser.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BOOTSTRAP_TOKEN, type LocalStack, startLocalStack } from "./local-stack.ts";

let stack: LocalStack;
let browser: Browser;
let context: BrowserContext;
let attacker: Server;
let attackerUrl: string;

/** The other site's page: whatever `script` builds runs as soon as it loads. */
let attackerPage = "";

beforeAll(async () => {
  stack = await startLocalStack();
  attacker = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(attackerPage);
  });
  await new Promise<void>((resolve) => attacker.listen(0, "127.0.0.1", resolve));
  attackerUrl = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}`;
  browser = await launchChromium();
  const created = await stack.call("/api/tokens", {
    method: "POST",
    json: { identity: "ann@example.com", roles: ["approver", "viewer"] },
  });
  expect(created.status).toBe(201);
  context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${stack.url}/inbox/sign-in`);
  await page.getByLabel("API token").fill(created.body.token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(`${stack.url}/inbox`);
  await page.close();
});

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await new Promise((resolve) => attacker?.close(resolve));
  await stack?.close();
});

const gateStatus = async (id: string) =>
  ((await stack.call(`/api/runs/${id}`)).body.gates as Array<{ kind: string; status: string }>)
    .filter((g) => g.kind === "claim")
    .at(-1)?.status;

describe("a page on another local port against /api", () => {
  it("cannot approve a gate with the inbox's cookie, by form or no-cors fetch; the inbox still can", async () => {
    const id = "cross-origin";
    await stack.runTo("loop", id, "awaitingClaim");
    const target = `${stack.url}/api/runs/${id}/gates/claim/approve`;
    expect(new URL(attackerUrl).origin).not.toBe(new URL(stack.url).origin);

    // 1. An auto-submitted text/plain form: its body reads as JSON to a lenient server.
    attackerPage = `<!doctype html><form id="f" method="post" enctype="text/plain" action="${target}">
<input name='{"reason":"via a form","x":"' value='"}'></form><script>document.getElementById("f").submit()</script>`;
    const page = await context.newPage();
    const [formResponse] = await Promise.all([
      page.waitForResponse((r) => r.url() === target),
      page.goto(`${attackerUrl}/form`),
    ]);
    const formHeaders = await formResponse.request().allHeaders();
    // The browser did send the session cookie and said where the request came from.
    expect(formHeaders.cookie ?? "").toMatch(/nightshift_session=/);
    expect(formHeaders.origin).toBe(attackerUrl);
    expect(formResponse.status()).toBe(403);
    expect(await gateStatus(id)).toBe("pending");

    // 2. A no-cors fetch with credentials: the answer is opaque to the page, the request still goes.
    attackerPage = `<!doctype html><script>
fetch(${JSON.stringify(target)}, { method: "POST", mode: "no-cors", credentials: "include",
  headers: { "content-type": "text/plain" }, body: JSON.stringify({ reason: "via fetch" }) })
  .then(() => { document.title = "sent"; }, () => { document.title = "failed"; });
</script>`;
    const [fetchResponse] = await Promise.all([
      page.waitForResponse((r) => r.url() === target),
      page.goto(`${attackerUrl}/fetch`),
    ]);
    // (Playwright does not report the cookie of a fetch; the form above shows the browser sends it.)
    expect(fetchResponse.status()).toBe(403);
    await page.waitForFunction(() => document.title !== "");
    expect(await gateStatus(id)).toBe("pending");

    // 3. Even without an Origin check, the cookie is no credential on /api and the type is refused:
    // the same requests, sent without Origin, from outside the browser.
    const cookie = formHeaders.cookie!;
    const noOrigin = await fetch(target, {
      method: "POST",
      headers: { cookie, "content-type": "application/json" },
      body: "{}",
    });
    expect(noOrigin.status).toBe(401);
    const plain = await fetch(target, {
      method: "POST",
      headers: { authorization: `Bearer ${BOOTSTRAP_TOKEN}`, "content-type": "text/plain" },
      body: "{}",
    });
    expect(plain.status).toBe(415);
    expect(await gateStatus(id)).toBe("pending");

    // The inbox's own form (same origin, CSRF token) still decides the gate.
    await page.goto(`${stack.url}/inbox/runs/${id}/gates/claim-1`);
    await page.getByLabel("Reason (required to reject)").fill("reviewed in the inbox");
    await page.getByRole("button", { name: "Approve" }).click();
    await page.waitForURL(new RegExp(`/inbox/runs/${id}\\?decided=`));
    await page.close();
    const { body } = await stack.call(`/api/runs/${id}`);
    expect(body.gates.at(-1)).toMatchObject({
      kind: "claim",
      status: "approved",
      decidedBy: "ann@example.com",
    });
  });
});

declare const document: { title: string; getElementById(id: string): { submit(): void } | null };
