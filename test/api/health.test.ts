/**
 * `/health` with a job file that does not compile: the site still answers,
 * every other job is served, and the broken file is named with its line and
 * column (its message is for callers who may read jobs: `GET /api/jobs`).
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { buildRegistry } from "../../src/jobs/registry.ts";
import { createSite } from "../../src/site.ts";
import { testJobFiles } from "../fixtures/jobs/index.ts";
import { TOKEN } from "../run/harness.ts";

const broken = {
  file: "workflows/broken.ts",
  broken: { line: 3, column: 3, message: 'Expected identifier but found "{"' },
};
const app = createSite({ registry: buildRegistry([...testJobFiles, broken]) });

describe("/health with a broken job file", () => {
  it("names the file, line and column, and serves the other jobs", async () => {
    const health = await app.request("/health", {}, env);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({
      ok: true,
      jobs: testJobFiles.length,
      problems: [{ file: "workflows/broken.ts", path: "", line: 3, column: 3 }],
    });
    const jobs = await app.request("/api/jobs", { headers: { authorization: `Bearer ${TOKEN}` } }, env);
    const body = (await jobs.json()) as { jobs: { name: string }[]; problems: unknown[] };
    expect(body.jobs.map((j) => j.name)).toContain("loop");
    expect(body.problems).toEqual([
      {
        file: "workflows/broken.ts",
        path: "",
        line: 3,
        column: 3,
        message: 'does not compile: Expected identifier but found "{"',
      },
    ]);
  });

  it("lists the broken file with its line and column on the inbox's jobs page, above the jobs that run", async () => {
    const page = await app.request("/inbox/jobs", { headers: { authorization: `Bearer ${TOKEN}` } }, env);
    expect(page.status).toBe(200);
    const markup = await page.text();
    const section = /<section[^>]*id="job-problems"[\s\S]*?<\/section>/.exec(markup)?.[0] ?? "";
    expect(section).toContain("<code>workflows/broken.ts:3:3</code>");
    expect(section).toContain("does not compile: Expected identifier but found &quot;{&quot;");
    expect(markup).toMatch(/<tr data-job="loop">/);
    expect(markup.indexOf('id="job-problems"')).toBeLessThan(markup.indexOf('data-job="loop"'));
  });
});
