/**
 * `nightshift start` (`npm start`): the whole local stack in one command —
 * the Cloudflare API emulator, the Sandbox host, and the orchestrator under
 * `wrangler dev` with its state on disk in `.nightshift/`. Fires the sweeper
 * once at start-up and every minute (wrangler dev fires no crons). One Ctrl-C
 * stops all three.
 */
import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startEmulator } from "../../local/emulator/index.ts";
import { startDevServer } from "../../local/orchestrator/dev-server.ts";
import { startSandboxHost } from "../../local/sandbox-host/index.ts";
import type { Command } from "../command.ts";
import { UserError } from "../errors.ts";
import { projectRoot } from "../project.ts";

/** The API token: NIGHTSHIFT_TOKEN when set, else one generated once and kept in .nightshift/token. */
async function apiToken(stateDir: string): Promise<string> {
  if (process.env.NIGHTSHIFT_TOKEN) return process.env.NIGHTSHIFT_TOKEN;
  const file = join(stateDir, "token");
  const known = await readFile(file, "utf8").catch(() => null);
  if (known?.trim()) return known.trim();
  const token = randomBytes(24).toString("base64url");
  await writeFile(file, `${token}\n`, { mode: 0o600 });
  return token;
}

function portArg(value: string | undefined, fallback: number, name: string): number {
  const port = Number(value ?? fallback);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UserError(`invalid ${name} "${value}"`);
  return port;
}

export const start: Command = {
  summary: "start the local stack: orchestrator (wrangler dev), Sandbox host, Cloudflare emulator",
  async run(args) {
    const { values } = parseArgs({
      args,
      options: {
        port: { type: "string" },
        "state-dir": { type: "string" },
        "unsafe-no-bwrap": { type: "boolean", default: false },
        "no-example": { type: "boolean", default: false },
      },
    });
    const root = projectRoot();
    const stateDir = values["state-dir"] ?? join(root, ".nightshift");
    await mkdir(stateDir, { recursive: true });
    const port = portArg(values.port ?? process.env.PORT, 8787, "--port");
    const token = await apiToken(stateDir);
    const log = (line: string) => console.log(line);

    const emulator = await startEmulator({
      port: port + 1,
      host: "127.0.0.1",
      stateDir: join(stateDir, "emulator"),
    });
    log(`emulator      ${emulator.url}  (CLOUDFLARE_API_BASE_URL=${emulator.apiBaseUrl})`);
    const sandboxes = await startSandboxHost({
      port: port + 2,
      stateDir: join(stateDir, "sandboxes"),
      unsafeNoBwrap: values["unsafe-no-bwrap"] ?? false,
      log,
    }).catch(async (error: unknown) => {
      await emulator.close();
      throw new UserError(
        `${(error as Error).message}\n  install bubblewrap (apt-get install bubblewrap) or pass --unsafe-no-bwrap`,
      );
    });
    log(`sandbox host  ${sandboxes.url}`);
    const orchestrator = await startDevServer({
      cwd: root,
      config: "wrangler.jsonc",
      port,
      persistTo: join(stateDir, "state"),
      stateDir: join(stateDir, "wrangler"),
      vars: {
        NIGHTSHIFT_MODE: "local",
        NIGHTSHIFT_TOKEN: token,
        CLOUDFLARE_API_BASE_URL: emulator.apiBaseUrl,
        SANDBOX_HOST_URL: sandboxes.url,
      },
      onLine: (line) => {
        if (/error|warn|nightshift/i.test(line)) log(`orchestrator  ${line.trim()}`);
      },
    }).catch(async (error: unknown) => {
      await Promise.allSettled([sandboxes.close(), emulator.close()]);
      throw error;
    });

    const sweep = () =>
      fetch(`${orchestrator.url}/cdn-cgi/handler/scheduled?cron=*+*+*+*+*`).catch((error: unknown) =>
        log(`sweeper       could not fire: ${(error as Error).message}`),
      );
    await sweep();
    const timer = setInterval(sweep, 60_000);

    log(`orchestrator  ${orchestrator.url}  (state in ${stateDir})`);
    log("");
    log(`API token: stored in ${join(stateDir, "token")} (or set NIGHTSHIFT_TOKEN)`);
    log(`  curl -H "authorization: Bearer $(cat ${join(stateDir, "token")})" ${orchestrator.url}/api/jobs`);
    log(
      `  curl -X POST -H "authorization: Bearer $(cat ${join(stateDir, "token")})" ${orchestrator.url}/api/jobs/hello-kv/runs`,
    );
    log("Ctrl-C stops everything.");

    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    });
    clearInterval(timer);
    log("stopping…");
    await Promise.allSettled([orchestrator.stop(), sandboxes.close(), emulator.close()]);
    return 0;
  },
};
