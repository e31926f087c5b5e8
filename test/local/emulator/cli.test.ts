/** `nightshift emulator` starts the emulator and prints the CLOUDFLARE_API_BASE_URL to use. */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "vitest";
import { REPO } from "./support.ts";

test("prints the API base URL, serves health there, keeps the admin secret in a 0600 file, and exits 0 on SIGTERM", async () => {
  const stateDir = mkdtempSync(join(tmpdir(), "emu-cli-"));
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      join(REPO, "src", "cli", "main.ts"),
      "emulator",
      "--port",
      "0",
      "--state-dir",
      stateDir,
      "--zone",
      "example.com",
    ],
    { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] },
  );
  let printed = "";
  try {
    const base = await new Promise<string>((resolve, reject) => {
      let out = "";
      child.stdout.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        printed = out;
        const m = /^CLOUDFLARE_API_BASE_URL=(\S+)$/m.exec(out);
        if (m) resolve(m[1]!);
      });
      child.on("close", (code) => reject(new Error(`exited ${code}: ${out}`)));
    });
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/client\/v4$/);
    const origin = base.replace(/\/client\/v4$/, "");
    expect(await (await fetch(`${origin}/__emulator/health`)).json()).toMatchObject({
      ok: true,
      apiBaseUrl: base,
    });
    // The admin secret is in a file only the owner can read, named (not shown) on stdout.
    const secretPath = join(stateDir, "admin-secret");
    expect(statSync(secretPath).mode & 0o777).toBe(0o600);
    const secret = readFileSync(secretPath, "utf8").trim();
    expect((await fetch(`${origin}/__emulator/zones`)).status).toBe(401);
    const zones = (await (
      await fetch(`${origin}/__emulator/zones`, { headers: { authorization: `Bearer ${secret}` } })
    ).json()) as {
      result: { name: string }[];
    };
    expect(zones.result.map((z) => z.name)).toEqual(["example.com"]);
    expect(printed).toContain(secretPath);
    expect(printed).not.toContain(secret);
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
  } finally {
    if (child.exitCode === null) child.kill("SIGKILL");
    rmSync(stateDir, { recursive: true, force: true });
  }
});
