/**
 * `nightshift sandbox-host [--port 8789] [--host 127.0.0.1] [--state-dir DIR]
 * [--network isolated|none|host] [--gateway PORT]... [--snapshot-mode auto|overlay|copy]
 * [--keep-snapshots N] [--secret-file PATH] [--unsafe-no-bwrap]`: runs the local Sandbox host
 * until SIGINT/SIGTERM, then stops processes and unmounts workspaces.
 *
 * Its clients authenticate with the bearer secret in `--secret-file` (default
 * `<state-dir>/host-secret`): read from there when the file exists (mode 0600 only), made at
 * random and written there with mode 0600 when not. The secret is never printed or taken on
 * the command line (every user of the machine can read argv); the start-up line names the file.
 */
import { join } from "node:path";
import { secretFile } from "../../local/bearer-secret.ts";
import { CaCertificatesError, hostExtraCertificates } from "../../local/host-trust.ts";
import { SandboxHostStartError, startSandboxHost } from "../../local/sandbox-host/index.ts";
import type { Command } from "../command.ts";
import { UserError } from "../errors.ts";
import { text } from "../output.ts";

function int(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number.parseInt(value, 10);
  if (!Number.isInteger(n) || String(n) !== value)
    throw new UserError(`${flag} must be an integer, got "${value}"`);
  return n;
}

export const sandboxHost: Command = {
  async run({ values }) {
    const network = text(values.network) ?? "isolated";
    if (network !== "isolated" && network !== "none" && network !== "host") {
      throw new UserError(`--network must be isolated, none or host, got "${network}"`);
    }
    const snapshotMode = text(values["snapshot-mode"]) ?? "auto";
    if (snapshotMode !== "auto" && snapshotMode !== "overlay" && snapshotMode !== "copy") {
      throw new UserError(`--snapshot-mode must be auto, overlay or copy, got "${snapshotMode}"`);
    }
    const stateDir = text(values["state-dir"]) ?? ".nightshift/sandboxes";
    const secretPath = text(values["secret-file"]) ?? join(stateDir, "host-secret");
    let secret: string;
    try {
      secret = await secretFile(secretPath);
    } catch (error) {
      throw new UserError(`--secret-file: ${error instanceof Error ? error.message : String(error)}`);
    }
    // Before the start-up line, which callers wait for.
    console.log(`sandbox-host: clients send Authorization: Bearer <the secret in ${secretPath}>`);
    let host: Awaited<ReturnType<typeof startSandboxHost>>;
    try {
      host = await startSandboxHost({
        port: int(text(values.port), "--port") ?? 8789,
        host: text(values.host) ?? "127.0.0.1",
        stateDir,
        secret,
        network,
        gateways: ((values.gateway as string[] | undefined) ?? []).map((port) => ({
          port: int(port, "--gateway") ?? 0,
        })),
        snapshotMode,
        // The host's extra CAs (a TLS-inspecting proxy's root): every command trusts them too.
        caCertificates: await hostExtraCertificates(process.env),
        unsafeNoBwrap: values["unsafe-no-bwrap"] === true,
        ...(text(values["keep-snapshots"])
          ? { keepSnapshots: int(text(values["keep-snapshots"]), "--keep-snapshots") }
          : {}),
        log: (line) => console.log(line),
      });
    } catch (error) {
      if (error instanceof SandboxHostStartError || error instanceof CaCertificatesError)
        throw new UserError(error.message);
      throw error;
    }
    await new Promise<void>((resolve) => {
      process.once("SIGINT", resolve);
      process.once("SIGTERM", resolve);
    });
    await host.close();
    return 0;
  },
};
