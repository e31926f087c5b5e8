/**
 * `nightshift emulator [--port 8788] [--host 127.0.0.1] [--state-dir DIR] [--account-lifetime 60m]
 * [--zone example.com]… [--admin-secret-file PATH]`
 * Runs the local Cloudflare API emulator in the foreground and prints the
 * `CLOUDFLARE_API_BASE_URL` to deploy to it with the unmodified wrangler CLI.
 * The admin routes (`/__emulator/*` but health and terms) take the bearer secret in
 * `--admin-secret-file` (default `<state-dir>/admin-secret`, mode 0600, made when missing);
 * the secret itself is never printed.
 */
import { join } from "node:path";
import { parseDuration } from "../../jobs/duration.ts";
import { secretFile } from "../../local/bearer-secret.ts";
import { startEmulator } from "../../local/emulator/index.ts";
import type { Command } from "../command.ts";
import { UserError } from "../errors.ts";
import { text } from "../output.ts";

/** "90s", "60m", "2h", "1500ms" or a bare number of milliseconds (the job files' duration syntax). */
function durationArg(text: string): number {
  const ms = /^\d+$/.test(text.trim()) ? Number(text) : parseDuration(text);
  if (ms === undefined) throw new UserError(`invalid duration "${text}" (use e.g. 90s, 60m, 2h)`);
  return ms;
}

export const emulator: Command = {
  async run({ values }) {
    const port = Number(text(values.port) ?? "8788");
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new UserError(`invalid --port ${values.port}`);
    const stateDir = text(values["state-dir"]) ?? ".nightshift/emulator";
    const secretPath = text(values["admin-secret-file"]) ?? join(stateDir, "admin-secret");
    let adminSecret: string;
    try {
      adminSecret = await secretFile(secretPath);
    } catch (error) {
      throw new UserError(`--admin-secret-file: ${error instanceof Error ? error.message : String(error)}`);
    }
    const emu = await startEmulator({
      port,
      host: text(values.host) ?? "127.0.0.1",
      stateDir,
      adminSecret,
      accountLifetimeMs: durationArg(text(values["account-lifetime"]) ?? "60m"),
    });
    for (const zone of (values.zone as string[] | undefined) ?? []) {
      await fetch(`${emu.url}/__emulator/zones`, {
        method: "POST",
        headers: { authorization: `Bearer ${adminSecret}` },
        body: JSON.stringify({ name: zone }),
      });
    }
    console.log(`Cloudflare API emulator listening on ${emu.url} (state in ${emu.stateDir})`);
    // Before the base URL line, which callers wait for.
    console.log(`Admin API (/__emulator/*): Authorization: Bearer <the secret in ${secretPath}>`);
    console.log(`CLOUDFLARE_API_BASE_URL=${emu.apiBaseUrl}`);
    console.log(
      `Workers: ${emu.url}/__workers/<script>.<subdomain>.workers.dev/  (or Host: <script>.<subdomain>.workers.dev)`,
    );
    console.log(`Request log: ${emu.url}/__emulator/requests`);
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    });
    await emu.close();
    return 0;
  },
};
