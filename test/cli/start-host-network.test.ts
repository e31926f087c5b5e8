/**
 * `nightshift start` with host proxy or CA settings it cannot use stops before starting
 * anything, naming the variable and the doc section, and never printing the proxy's password.
 * The real binary, as an operator runs it.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "../../src/local/net.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const stateDir = mkdtempSync(join(tmpdir(), "nightshift-start-net-"));

afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

async function start(env: Record<string, string>): Promise<{ code: number; output: string }> {
  const port = await freePort();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(ROOT, "bin", "nightshift.mjs"), "start", "--port", String(port), "--state-dir", stateDir],
      { cwd: ROOT, env: { ...process.env, ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, output: stdout + stderr });
      },
    );
  });
}

describe("nightshift start behind a proxy it cannot use", () => {
  it("refuses a proxy URL it cannot chain to, naming the variable and not its password", async () => {
    const r = await start({ HTTPS_PROXY: "socks5://corp:hunter2-pw@proxy.corp:1080" });
    expect(r.code).not.toBe(0);
    expect(r.output).toContain("HTTPS_PROXY is not an http:// or https:// proxy URL");
    expect(r.output).toContain('docs/sandbox.md, "Behind a corporate proxy / TLS inspection"');
    expect(r.output).not.toContain("hunter2-pw");
    expect(r.output).not.toContain("emulator      http");
  });

  it("refuses a CA file it cannot read, rather than failing a setup minutes later", async () => {
    const missing = join(stateDir, "no-such-ca.pem");
    const r = await start({ NODE_EXTRA_CA_CERTS: missing });
    expect(r.code).not.toBe(0);
    expect(r.output).toContain(`NODE_EXTRA_CA_CERTS names ${missing}, which cannot be read (ENOENT)`);
  });
});
