/**
 * The inbox's pages in real chromium at a desktop (1280×800) and a phone (390×844) width: no
 * horizontal overflow, the key content visible, and a screenshot compared with the committed
 * baseline (test/e2e/screens/) within a tolerance. The pages come from the real site under
 * `wrangler dev` (test/support/screens-worker.ts) over fixture rows with its clock stopped,
 * and the browser runs in UTC with its clock stopped at the same time: the same pixels every
 * run on one machine. NIGHTSHIFT_UPDATE_SCREENSHOTS=1 writes the baselines instead (docs/inbox.md).
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevServer, startDevServer } from "../../src/local/orchestrator/dev-server.ts";
import { NOW, RUNS } from "../support/inbox/fixtures.ts";
import { compareImages, decodePng } from "../support/png.ts";
import { BOOTSTRAP_TOKEN, freePort, ROOT } from "./local-stack.ts";

declare const window: { innerWidth: number };
declare const document: { documentElement: { scrollWidth: number } };

const BASELINES = join(ROOT, "test", "e2e", "screens");
const UPDATE = process.env.NIGHTSHIFT_UPDATE_SCREENSHOTS === "1";
/** At most this share of pixels may differ (font antialiasing, subpixel positions). */
const TOLERANCE = 0.005;

const run = RUNS[0]!.id;
const pages: Record<string, { path: string; visible: string[] }> = {
  gates: { path: "/inbox", visible: ["Gates waiting", "claim #1", "3 min ago"] },
  runs: { path: "/inbox/runs", visible: ["nightly-0115-0300", "$1.50", "8m 20s", "12 min ago"] },
  jobs: {
    path: "/inbox/jobs",
    visible: ["schedule 0 3 * * *", "webhook github (event=push, branch=main)", "flaky upstream"],
  },
  run: { path: `/inbox/runs/${run}`, visible: [`Run ${run}`, "Timeline", "verify.passed"] },
  gate: {
    path: `/inbox/runs/${run}/gates/claim-1`,
    visible: ["Verification report", "Budget spent", "hello, world"],
  },
};
const widths = { desktop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } };

let dir: string;
let server: DevServer;
let browser: Browser;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "nightshift-screens-"));
  server = await startDevServer({
    cwd: ROOT,
    config: "test/support/wrangler.screens.jsonc",
    port: await freePort(),
    persistTo: join(dir, "state"),
    stateDir: join(dir, "wrangler"),
  });
  const seeded = await fetch(`${server.url}/__screens/seed`, { method: "POST" });
  expect(seeded.status).toBe(204);
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--font-render-hinting=none", "--no-first-run"],
  });
  if (UPDATE) await mkdir(BASELINES, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe("the inbox's pages in chromium", () => {
  for (const [name, spec] of Object.entries(pages))
    for (const [device, viewport] of Object.entries(widths))
      it(`${name} at ${device} width (${viewport.width}px)`, async () => {
        const context = await browser.newContext({
          viewport,
          deviceScaleFactor: 1,
          timezoneId: "UTC",
          locale: "en-GB",
          reducedMotion: "reduce",
          extraHTTPHeaders: { authorization: `Bearer ${BOOTSTRAP_TOKEN}` },
        });
        try {
          const page = await context.newPage();
          await page.clock.setFixedTime(NOW);
          // The live timeline would reach the real stream; "no content" stops EventSource for good.
          await page.route("**/stream?**", (route) => route.fulfill({ status: 204 }));
          const response = await page.goto(`${server.url}${spec.path}`);
          expect(response?.status()).toBe(200);
          await page.waitForLoadState("networkidle");

          const overflow = await page.evaluate(
            () => document.documentElement.scrollWidth - window.innerWidth,
          );
          expect(overflow, "the page scrolls sideways").toBeLessThanOrEqual(0);
          for (const text of spec.visible)
            expect(await page.getByText(text).first().isVisible(), `"${text}" visible`).toBe(true);
          expect(await page.locator("nav a[href='/inbox/jobs']").isVisible()).toBe(true);

          const shot = await page.screenshot({ fullPage: true, animations: "disabled", caret: "hide" });
          const file = `${name}-${device}.png`;
          if (UPDATE) {
            await writeFile(join(BASELINES, file), shot);
            return;
          }
          const baseline = await readFile(join(BASELINES, file)).catch(() => null);
          expect(baseline, `no baseline ${file}: run with NIGHTSHIFT_UPDATE_SCREENSHOTS=1`).not.toBeNull();
          const actual = decodePng(shot);
          const expected = decodePng(baseline as Buffer);
          const kept = join(dir, file);
          await writeFile(kept, shot);
          expect(`${actual.width}×${actual.height}`, `${file}: the page's size changed`).toBe(
            `${expected.width}×${expected.height}`,
          );
          const difference = compareImages(actual, expected);
          expect(
            difference.ratio,
            `${file}: ${difference.differing} pixels differ, the first at ${JSON.stringify(difference.first)}`,
          ).toBeLessThanOrEqual(TOLERANCE);
        } finally {
          await context.close();
        }
      });
});

describe("the screenshot comparison", () => {
  it("reads chromium's PNGs and tells a changed picture from the same one", async () => {
    const image = decodePng(await readFile(join(BASELINES, "jobs-desktop.png")));
    expect([image.width, image.pixels.length]).toEqual([1280, 1280 * image.height * 4]);
    expect(compareImages(image, image)).toEqual({ differing: 0, ratio: 0, first: null });
    // A 100×100 block gone black: a real change, well past the tolerance.
    const changed = { ...image, pixels: Uint8Array.from(image.pixels) };
    for (let y = 100; y < 200; y++) changed.pixels.fill(0, (y * 1280 + 300) * 4, (y * 1280 + 400) * 4 - 1);
    const difference = compareImages(changed, image);
    expect(difference.first).toEqual({ x: 300, y: 100 });
    expect(difference.ratio).toBeGreaterThan(TOLERANCE);
    expect(() => compareImages({ ...image, height: image.height - 1 }, image)).toThrow(/sizes differ/);
  });
});
