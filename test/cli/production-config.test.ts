/**
 * nightshift on a real account, checked as far as it can be without one (docs/operations.md):
 * the shipped wrangler.jsonc builds with the unmodified wrangler's `deploy --dry-run`, with no
 * warning, into a bundle under the Workers size limit; the committed binding types are what
 * `wrangler types` makes of it. (The D1 migrations are applied from the same directory, in
 * wrangler's order, by every Workers-pool test: vitest.config.ts `readD1Migrations`.)
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";

const REPO = join(import.meta.dirname, "..", "..");
const WRANGLER = join(REPO, "node_modules", "wrangler", "bin", "wrangler.js");
/**
 * The Workers size limit after compression on the Workers Paid plan, which nightshift needs
 * (Workflows with Containers): https://developers.cloudflare.com/workers/platform/limits/#worker-size
 */
const WORKER_SIZE_LIMIT = 10 * 1024 * 1024;

const scratch = mkdtempSync(join(tmpdir(), "nightshift-production-config-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The unmodified wrangler in the repository, with a home of its own and nothing of ours. */
function wrangler(args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRANGLER, ...args], {
      cwd: REPO,
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        HOME: join(scratch, "home"),
        XDG_CONFIG_HOME: join(scratch, "xdg"),
        CI: "true",
        WRANGLER_SEND_METRICS: "false",
        WRANGLER_HIDE_BANNER: "true",
        NO_COLOR: "1",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, output }));
  });
}

describe("the shipped wrangler.jsonc", () => {
  it("builds with `wrangler deploy --dry-run`, warns of nothing, and stays under the size limit", async () => {
    const outdir = join(scratch, "dist");
    const run = await wrangler(["deploy", "--dry-run", "--containers-rollout=none", "--outdir", outdir]);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain("--dry-run: exiting now.");
    // wrangler marks warnings with "▲ [WARNING]"; a renamed option or a deprecated flag shows up here.
    expect(run.output).not.toMatch(/WARNING|deprecated/i);
    expect(run.output).toMatch(/env\.RUN_WORKFLOW \(RunWorkflow\)\s+Workflow/);
    expect(run.output).toMatch(/env\.DB \(nightshift\)\s+D1 Database/);
    const bundle = readFileSync(join(outdir, "worker.js"));
    expect(gzipSync(bundle).length).toBeLessThan(WORKER_SIZE_LIMIT);
  });

  it("has binding types committed that `wrangler types` still generates", async () => {
    const run = await wrangler([
      "types",
      "--include-runtime=false",
      "--include-main-module=false",
      "--check",
    ]);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain("up to date");
  });
});
