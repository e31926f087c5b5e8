/**
 * `nightshift start` (`npm start`): the whole local stack in one command —
 * the Cloudflare API emulator, the egress proxy (model keys from this
 * command's environment; grants), the Sandbox host, and the orchestrator under
 * `wrangler dev` with its state on disk in `.nightshift/`. Fires the sweeper
 * once at start-up and every minute (wrangler dev fires no crons). The first
 * time on a state directory (or with `--example`; never with `--no-example`),
 * starts one run of the example job and follows it until it waits at a gate.
 * One Ctrl-C stops them all.
 * The stack itself is `startLocalStack` (src/local/orchestrator/stack.ts).
 */
import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { devOutputFilter } from "../../local/orchestrator/dev-output.ts";
import { followRun, nextSteps } from "../../local/orchestrator/follow.ts";
import { toLocalUrl } from "../../ports/emulator-urls.ts";
import { PortInUse } from "../../local/net.ts";
import { UpstreamProxyError } from "../../local/egress-proxy/upstream.ts";
import { CaCertificatesError } from "../../local/host-trust.ts";
import { SandboxHostUnavailable, startLocalStack } from "../../local/orchestrator/stack.ts";
import type { Command } from "../command.ts";
import { UserError } from "../errors.ts";
import { text } from "../output.ts";
import { projectRoot } from "../project.ts";
import { exampleStarted, markExample, markStack, runningStack } from "../state-dir.ts";
import { refreshManifest } from "./generate.ts";

/** The API token: NIGHTSHIFT_TOKEN when set, else one generated once and kept in .nightshift/token. */
export async function apiToken(
  stateDir: string,
  fromEnvironment = process.env.NIGHTSHIFT_TOKEN,
): Promise<string> {
  if (fromEnvironment) return fromEnvironment;
  const file = join(stateDir, "token");
  const known = await readFile(file, "utf8").catch(() => null);
  if (known?.trim()) return known.trim();
  const token = randomBytes(24).toString("base64url");
  await writeFile(file, `${token}\n`, { mode: 0o600 });
  return token;
}

/**
 * Where the token `apiToken` chose is, said the way a shell reads it: the environment's when
 * NIGHTSHIFT_TOKEN is set (no file is written then), else the state directory's file.
 */
export function tokenSource(stateDir: string, fromEnvironment: boolean): { where: string; hint: string } {
  if (fromEnvironment) return { where: "NIGHTSHIFT_TOKEN, from the environment", hint: "$NIGHTSHIFT_TOKEN" };
  const file = join(stateDir, "token");
  return { where: `stored in ${file} (or set NIGHTSHIFT_TOKEN)`, hint: `$(cat ${file})` };
}

export const EXAMPLE_JOB = "hello-kv";

function portArg(value: string | undefined, fallback: number, name: string): number {
  const port = Number(value ?? fallback);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UserError(`invalid ${name} "${value}"`);
  return port;
}

export const start: Command = {
  async run({ values }) {
    const root = projectRoot();
    const stateDir = text(values["state-dir"]) ?? join(root, ".nightshift");
    await mkdir(stateDir, { recursive: true });
    const port = portArg(text(values.port) ?? process.env.PORT, 8787, "--port");
    const other = await runningStack(stateDir);
    if (other)
      throw new UserError(`a stack already runs on ${stateDir} (pid ${other.pid}, port ${other.port})`);
    const token = await apiToken(stateDir);
    const log = (line: string) => console.log(line);
    const devOutput = devOutputFilter({ verbose: values.verbose === true });
    // Before wrangler bundles the Worker: a job file that does not compile is left out of the
    // manifest and named here, and every other job still runs.
    const manifest = await refreshManifest(root);
    if (manifest.written) log("jobs          workflows/index.ts regenerated from the job files");
    for (const line of manifest.broken) log(`jobs          ${line} (not loaded; the other jobs run)`);

    const forgetStack = await markStack(stateDir, port);
    const stack = await startLocalStack({
      root,
      stateDir,
      port,
      token,
      unsafeNoBwrap: values["unsafe-no-bwrap"] === true,
      log,
      egressLog: (line) => log(`egress proxy  ${line}`),
      // Warning blocks whole, minus those untrue here; per-step timing lines (`timed` in
      // src/run/work.ts) only with --verbose (they are for the loop benchmark).
      onLine: (line) => {
        for (const shown of devOutput(line)) log(`orchestrator  ${shown}`);
      },
    }).catch(async (error: unknown) => {
      await forgetStack();
      if (error instanceof PortInUse) throw new UserError(error.message);
      // The host's proxy or CA settings name something unusable (docs/sandbox.md).
      if (error instanceof CaCertificatesError || error instanceof UpstreamProxyError)
        throw new UserError(
          `${error.message} (see docs/sandbox.md, "Behind a corporate proxy / TLS inspection")`,
        );
      if (error instanceof SandboxHostUnavailable)
        throw new UserError(
          `${error.message}\n  install bubblewrap (apt-get install bubblewrap) or pass --unsafe-no-bwrap`,
        );
      throw error;
    });
    const { emulator, orchestrator } = stack;
    log(`emulator      ${emulator.url}  (CLOUDFLARE_API_BASE_URL=${emulator.apiBaseUrl})`);
    log(`sandbox host  ${stack.sandboxes.url}`);
    const keys = stack.egressKeys.length ? stack.egressKeys.join(", ") : "none found in this environment";
    log(`egress proxy  ${stack.egress.url}  (adds model keys: ${keys}; grants for the orchestrator)`);

    const sweep = () =>
      stack
        .sweep()
        .catch((error: unknown) => log(`sweeper       could not fire: ${(error as Error).message}`));
    await sweep();
    const timer = setInterval(sweep, 60_000);
    // wrangler dev fires no crons (and its warning saying so is left out above): this does.
    log("scheduler     fires the sweeper and the jobs' schedules every minute (wrangler dev fires no crons)");

    log(`orchestrator  ${orchestrator.url}  (state in ${stateDir})`);
    log(`inbox         ${orchestrator.url}/inbox`);
    const { where, hint: tokenHint } = tokenSource(stateDir, Boolean(process.env.NIGHTSHIFT_TOKEN));
    log("");
    log(`API token: ${where}`);
    log(`  curl -H "authorization: Bearer ${tokenHint}" ${orchestrator.url}/api/jobs`);

    const stopped = new AbortController();
    let restoreExit = () => {};
    const stopOnSignal = new Promise<void>((resolve) => {
      // `on`, not `once`: one Ctrl-C reaches this process twice (from the terminal and relayed by
      // npm/tsx), and a second signal with no listener would kill it before the clean-up below.
      const stop = () => {
        if (!stopped.signal.aborted) restoreExit = deferExit();
        stopped.abort(new Error("stopped"));
        resolve();
      };
      for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.prependListener(signal, stop);
    });

    // Once per state directory: every start adding a run (and a temporary account) piles them up.
    const earlier = await exampleStarted(stateDir);
    const example = values.example === true || (values["no-example"] !== true && earlier === null);
    if (example) {
      await runExample({
        stateDir,
        url: orchestrator.url,
        token,
        tokenHint,
        emulatorUrl: emulator.url,
        signal: stopped.signal,
        log,
      }).catch((error: unknown) => {
        if (!stopped.signal.aborted)
          log(`example       could not follow the example run: ${(error as Error).message}`);
      });
    } else {
      if (earlier && values["no-example"] !== true)
        log(
          `example       started on this state already (run ${earlier.runId}); --example starts another, nightshift reset starts afresh`,
        );
      log(
        `  curl -X POST -H "authorization: Bearer ${tokenHint}" ${orchestrator.url}/api/jobs/${EXAMPLE_JOB}/runs`,
      );
    }
    if (!stopped.signal.aborted) log("Ctrl-C stops everything.");

    await stopOnSignal;
    clearInterval(timer);
    log("stopping…");
    await stack.close();
    await forgetStack();
    restoreExit();
    return 0;
  },
};

/**
 * Miniflare (which hosts the emulator's deployed Workers) installs its own
 * SIGINT/SIGTERM listener that calls `process.exit(130)` at once, which would
 * skip the clean-up above and leave the Sandbox host's overlay mounts behind.
 * While stopping, `process.exit` is held off; the returned function restores it.
 */
function deferExit(): () => void {
  const exit = process.exit;
  process.exit = ((code?: number) => {
    process.exitCode ??= code;
  }) as typeof process.exit;
  return () => {
    process.exit = exit;
  };
}

/** Starts one run of the example job and follows its timeline until it waits at a gate or ends. */
async function runExample(input: {
  stateDir: string;
  url: string;
  token: string;
  tokenHint: string;
  emulatorUrl: string;
  signal: AbortSignal;
  log: (line: string) => void;
}): Promise<void> {
  const { log } = input;
  const started = Date.now();
  const response = await fetch(`${input.url}/api/jobs/${EXAMPLE_JOB}/runs`, {
    method: "POST",
    headers: { authorization: `Bearer ${input.token}`, "content-type": "application/json" },
    body: "{}",
    signal: input.signal,
  });
  if (!response.ok)
    throw new Error(`starting ${EXAMPLE_JOB} answered ${response.status}: ${await response.text()}`);
  const { run } = (await response.json()) as { run: { id: string } };
  await markExample(input.stateDir, run.id);
  log("");
  log(`example       run ${run.id} of ${EXAMPLE_JOB} (replay agent: a recorded session, no model is called)`);
  const result = await followRun({
    url: input.url,
    token: input.token,
    runId: run.id,
    log,
    tty: process.stdout.isTTY ? process.stdout : null,
    signal: input.signal,
  });
  log(`example       stopped after ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const localUrl = (publicUrl: string) => toLocalUrl(publicUrl, input.emulatorUrl);
  for (const line of nextSteps({ result, url: input.url, tokenHint: input.tokenHint, localUrl })) log(line);
}
