/**
 * The approvals inbox in a real browser (Debian's chromium through
 * playwright-core) against the test Worker under real `wrangler dev`: a person
 * signs in with a personal token, approves from the inbox and watches the run
 * resume on a timeline that updates without a reload (Server-Sent Events, no
 * polling), sees the countdowns
 * tick, rejects with a reason, and is refused (409) when the artifacts changed
 * after the page was shown.
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { launchChromium } from "../support/browser.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalStack, startLocalStack } from "./local-stack.ts";

// Browser globals, for the functions that run in the page.
declare const window: Record<string, unknown>;
declare const document: {
  getElementById(id: string): { textContent: string | null } | null;
  querySelector(selector: string): { textContent: string | null } | null;
};

let stack: LocalStack;
let browser: Browser;
let context: BrowserContext;

beforeAll(async () => {
  stack = await startLocalStack();
  browser = await launchChromium();
  const created = await stack.call("/api/tokens", {
    method: "POST",
    json: { identity: "ann@example.com", roles: ["approver", "viewer"] },
  });
  expect(created.status).toBe(201);
  context = await browser.newContext();
  const page = await context.newPage();
  // Not signed in: the inbox asks for a token, then lands where it was going.
  const first = await page.goto(`${stack.url}/inbox`);
  expect(first?.status()).toBe(401);
  await page.getByLabel("API token").fill(created.body.token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(`${stack.url}/inbox`);
  await expect(page.locator("header .who").textContent()).resolves.toMatch(/ann@example.com/);
  await page.close();
});

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await stack?.close();
});

async function openGate(page: Page, runId: string): Promise<void> {
  await page.goto(`${stack.url}/inbox`);
  await page.locator(`tr[data-gate="${runId}:claim:1"] a`).first().click();
  await page.waitForURL(`${stack.url}/inbox/runs/${runId}/gates/claim-1`);
}

describe("approvals inbox", () => {
  it("approves from the inbox while the run's timeline, open in another tab, updates live", async () => {
    const id = "inbox-approve";
    await stack.runTo("loop", id, "awaitingClaim");

    const timeline = await context.newPage();
    const requested: string[] = [];
    timeline.on("request", (r) => requested.push(new URL(r.url()).pathname));
    await timeline.goto(`${stack.url}/inbox/runs/${id}`);
    await expect(timeline.locator("ol.timeline").getAttribute("aria-live")).resolves.toBe("polite");
    await expect(timeline.locator("#run-state").textContent()).resolves.toBe("awaitingClaim");
    // A marker that a reload would wipe out.
    await timeline.evaluate(() => {
      window.marker = "same page";
    });

    const gate = await context.newPage();
    await openGate(gate, id);
    await expect(gate.getByRole("heading", { name: "Verification report" }).count()).resolves.toBe(1);
    await expect(gate.locator("text=Claim URL").count()).resolves.toBe(1);
    await gate.getByLabel("Reason (required to reject)").fill("preview looks right");
    await gate.getByRole("button", { name: "Approve" }).click();
    await gate.waitForURL(new RegExp(`/inbox/runs/${id}\\?decided=`));
    await expect(gate.getByRole("status").first().textContent()).resolves.toMatch(
      /approved by ann@example.com/,
    );

    // The other tab sees the approval and the run resuming, without a reload.
    await timeline.waitForFunction(() => document.getElementById("run-state")?.textContent === "succeeded");
    const items = await timeline.locator("ol.timeline li strong").allTextContents();
    expect(items).toContain("gate.approved");
    expect(items.at(-1)).toBe("run.finished");
    // Each event once, in the order of the audit log.
    const seqs = (await timeline
      .locator("ol.timeline li")
      .evaluateAll((lis) => lis.map((li) => Number(li.getAttribute("data-seq"))))) as number[];
    const log = (await stack.call(`/api/runs/${id}/events`)).body.events as Array<{ seq: number }>;
    expect(seqs).toEqual(log.map((e) => e.seq));
    expect(await timeline.evaluate(() => window.marker)).toBe("same page");
    // A step's line added live links to what the step kept, as the server renders it.
    const promote = timeline.locator("ol.timeline li", { hasText: "promote.done" }).locator("a");
    await expect(promote.getAttribute("href")).resolves.toBe(`/inbox/runs/${id}/steps/promote%231`);
    await expect(promote.textContent()).resolves.toBe("promote#1");
    // One event stream and no polling; the stream says when the run is final.
    await timeline.waitForFunction(
      () => document.getElementById("live-status")?.textContent === "The run is final.",
    );
    expect(requested.filter((p) => p === `/inbox/runs/${id}/stream`).length).toBeGreaterThan(0);
    expect(requested.filter((p) => p.endsWith("events.json"))).toEqual([]);
    await timeline.close();
    await gate.close();

    const { body } = await stack.call(`/api/runs/${id}`);
    expect(body.gates[0]).toMatchObject({ status: "approved", decidedBy: "ann@example.com" });
  });

  it("counts down to the gate's deadline and to the temporary account's expiry", async () => {
    const id = "inbox-countdown";
    await stack.runTo("loop", id, "awaitingClaim");
    const page = await context.newPage();
    await page.goto(`${stack.url}/inbox`);
    await expect(
      page.locator(`tr[data-gate="${id}:claim:1"] time[data-deadline]`).textContent(),
    ).resolves.toMatch(/^\d+m \d\ds left$|^\d+h \d\dm \d\ds left$/);
    await openGate(page, id);
    const claim = page.locator("#claim-countdown time");
    const first = await claim.textContent();
    expect(first).toMatch(/^(\d+h )?\d+m \d\ds left$/);
    // The script ticks every second: the text changes with no navigation.
    await page.waitForFunction(
      (was) => document.querySelector("#claim-countdown time")?.textContent !== was,
      first,
    );
    expect(await claim.textContent()).toMatch(/^(\d+h )?\d+m \d\ds left$/);
    await page.close();
    await stack.call(`/api/runs/${id}/gates/claim/reject`, { method: "POST", json: { reason: "done" } });
  });

  it("rejects with a reason, and refuses a rejection without one", async () => {
    const id = "inbox-reject";
    await stack.runTo("loop", id, "awaitingClaim");
    const page = await context.newPage();
    await openGate(page, id);
    const [bare] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === "POST"),
      page.getByRole("button", { name: "Reject" }).click(),
    ]);
    expect(bare.status()).toBe(400);
    await expect(page.getByRole("alert").textContent()).resolves.toMatch(/needs a reason/);

    await openGate(page, id);
    await page.getByLabel("Reason (required to reject)").fill("wrong worker name");
    await page.getByRole("button", { name: "Reject" }).click();
    await page.waitForURL(new RegExp(`/inbox/runs/${id}\\?decided=`));
    await page.waitForFunction(() => document.getElementById("run-state")?.textContent === "rejected");
    await expect(page.locator("ol.timeline").textContent()).resolves.toMatch(/wrong worker name/);
    await page.close();
    const { body } = await stack.call(`/api/runs/${id}`);
    expect(body.gates[0]).toMatchObject({ status: "rejected", reason: "wrong worker name" });
  });

  it("refuses an approval (409) when the artifacts changed after the page was shown", async () => {
    const id = "inbox-stale";
    await stack.runTo("loop", id, "awaitingClaim");
    const page = await context.newPage();
    await openGate(page, id);
    // The verification report behind the gate is rewritten (as a re-run of verify would).
    const { body } = await stack.call(`/api/runs/${id}`);
    const ref = body.run.reportRef as string;
    const rewritten = await fetch(`${stack.url}/__test/artifacts/${encodeURIComponent(ref)}`, {
      method: "PUT",
      body: JSON.stringify({ passed: true, url: "https://elsewhere.example", checks: [] }),
    });
    expect(rewritten.status).toBe(204);
    const [refused] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === "POST"),
      page.getByRole("button", { name: "Approve" }).click(),
    ]);
    expect(refused.status()).toBe(409);
    await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toMatch(/gate changed/);
    await expect(page.getByRole("alert").textContent()).resolves.toMatch(/changed after the page was shown/);
    expect((await stack.call(`/api/runs/${id}`)).body.gates[0].status).toBe("pending");

    // Reviewing again shows the new report, and approving that works.
    await openGate(page, id);
    await expect(page.locator("text=https://elsewhere.example").count()).resolves.toBeGreaterThan(0);
    await page.getByRole("button", { name: "Approve" }).click();
    await page.waitForURL(new RegExp(`/inbox/runs/${id}\\?decided=`));
    await page.close();
  });
});
