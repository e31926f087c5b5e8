/**
 * Test support for the emulator suites: copying a fixture Worker project into
 * a scratch directory, running the real pinned wrangler against an emulator
 * with a from-scratch environment (its own HOME/XDG_CONFIG_HOME, CI mode, no
 * telemetry), and reading the URLs wrangler prints.
 */
import { spawn } from "node:child_process";
import { request } from "node:http";
import { cpSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import {
  type Emulator,
  type EmulatorOptions,
  solveProofOfWork,
  startEmulator,
} from "../../../src/local/emulator/index.ts";

export const REPO = join(import.meta.dirname, "..", "..", "..");
const BIN = join(REPO, "node_modules", ".bin");
const WRANGLER = join(REPO, "node_modules", "wrangler", "bin", "wrangler.js");

export interface Project {
  dir: string;
  home: string;
  xdg: string;
  tmp: string;
  remove(): void;
}

/** A scratch copy of `test/fixtures/workers/<name>` with its own home, config and temp dirs. */
export function copyFixture(name: string): Project {
  const root = mkdtempSync(join(tmpdir(), `emu-${name}-`));
  const dir = join(root, "project");
  cpSync(join(REPO, "test", "fixtures", "workers", name), dir, { recursive: true });
  const home = join(root, "home");
  const xdg = join(root, "xdg");
  const tmp = join(root, "tmp");
  for (const d of [home, xdg, tmp]) mkdirSync(d, { recursive: true });
  return { dir, home, xdg, tmp, remove: () => rmSync(root, { recursive: true, force: true }) };
}

export interface WranglerRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** The `env -i`-style environment wrangler runs with: nothing from the test process leaks in. */
export function wranglerEnv(project: Project, apiBaseUrl: string): Record<string, string> {
  return {
    PATH: `${BIN}:/usr/local/bin:/usr/bin:/bin`,
    HOME: project.home,
    XDG_CONFIG_HOME: project.xdg,
    TMPDIR: project.tmp,
    CI: "true",
    WRANGLER_SEND_METRICS: "false",
    WRANGLER_HIDE_BANNER: "true",
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
    CLOUDFLARE_API_BASE_URL: apiBaseUrl,
  };
}

/**
 * Runs the real wrangler (the pinned `node_modules/wrangler`, on this Node 22)
 * asynchronously, so the emulator in this process keeps answering. `stdin`, when
 * given, is piped in (what `wrangler secret put` reads its value from).
 */
export function wrangler(
  project: Project,
  args: string[],
  apiBaseUrl: string,
  options: { stdin?: string } = {},
): Promise<WranglerRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRANGLER, ...args], {
      cwd: project.dir,
      env: wranglerEnv(project, apiBaseUrl),
      stdio: [(options.stdin === undefined ? "ignore" : "pipe") as "pipe", "pipe", "pipe"],
    });
    if (options.stdin !== undefined) child.stdin?.end(options.stdin);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

export interface DeployOutput {
  workersDevUrl: string;
  claimUrl: string;
  accountName: string;
  accountState: "created" | "reused";
  versionId: string;
}

/** Reads wrangler's deploy output (temp-account lines on stderr, deploy result on stdout; cloudflare-api.md §2e). */
export function parseDeploy(run: WranglerRun): DeployOutput {
  const workersDevUrl = /^ {2}(https:\/\/\S+\.workers\.dev)\s*$/m.exec(run.stdout)?.[1];
  const claimUrl = /^\tClaim URL: (\S+)$/m.exec(run.stderr)?.[1];
  const account = /^\tAccount: (.+) \((created|reused)\)$/m.exec(run.stderr);
  const versionId = /^Current Version ID: (\S+)$/m.exec(run.stdout)?.[1];
  if (!workersDevUrl || !claimUrl || !account || !versionId) {
    throw new Error(
      `unexpected wrangler output (exit ${run.code}):\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`,
    );
  }
  return {
    workersDevUrl,
    claimUrl,
    accountName: account[1]!,
    accountState: account[2] as "created" | "reused",
    versionId,
  };
}

/** `wrangler deploy --temporary` in `project`; fails the test with wrangler's output if it does not succeed. */
export async function deployTemporary(project: Project, emu: Emulator): Promise<DeployOutput> {
  const run = await wrangler(project, ["deploy", "--temporary"], emu.apiBaseUrl);
  if (run.code !== 0)
    throw new Error(`wrangler deploy failed (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
  return parseDeploy(run);
}

/**
 * A call to the emulator's admin API (`/__emulator/…`) with its admin secret, as the stack and
 * the tests hold it: `adminFetch(emu, "/__emulator/zones", { method: "POST", body })`.
 */
export function adminFetch(
  emu: Pick<Emulator, "url" | "adminSecret">,
  path: string,
  init: RequestInit = {},
): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("authorization", `Bearer ${emu.adminSecret}`);
  return fetch(`${emu.url}${path}`, { ...init, headers });
}

export async function provisioningCalls(emu: Emulator): Promise<number> {
  const res = await adminFetch(emu, "/__emulator/requests?path=/provisioning/previews&method=POST");
  const entries = (await res.json()) as { path: string; status: number }[];
  return entries.filter((e) => e.path.endsWith("/provisioning/previews") && e.status === 200).length;
}

/** Polls until `check` holds (no timing assertion: the test's own timeout is the limit). */
export async function waitFor(check: () => Promise<boolean>, intervalMs = 250): Promise<void> {
  while (!(await check())) await new Promise((r) => setTimeout(r, intervalMs));
}

/** GET through the emulator with a chosen Host header (fetch cannot set Host). */
export function getWithHost(
  emulatorUrl: string,
  host: string,
  path: string,
): Promise<{ status: number; body: string }> {
  const url = new URL(emulatorUrl);
  return new Promise((resolve, reject) => {
    const req = request({ hostname: url.hostname, port: url.port, path, headers: { host } }, (res) => {
      let body = "";
      res.on("data", (chunk: Buffer) => {
        body += chunk.toString();
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

/** Creates a temporary account over HTTP, solving the proof-of-work like wrangler does. */
export async function provisionAccount(
  emu: Emulator,
): Promise<{ id: string; token: string; subdomain: string; claimUrl: string }> {
  const post = (path: string, body: unknown) =>
    fetch(`${emu.apiBaseUrl}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  const c = (
    (await (await post("/provisioning/previews/challenge", {})).json()) as {
      result: { challengeToken: string; seed: string; k: number; g: number };
    }
  ).result;
  const checkpoints = solveProofOfWork({ seed: Buffer.from(c.seed, "base64url"), k: c.k, g: c.g });
  const created = (await (
    await post("/provisioning/previews", {
      acceptTermsOfService: "yes",
      challengeToken: c.challengeToken,
      solution: { checkpoints },
    })
  ).json()) as { result: { account: { id: string; apiToken: string }; claim: { url: string } } };
  const { id, apiToken } = created.result.account;
  const sub = (await (
    await fetch(`${emu.apiBaseUrl}/accounts/${id}/workers/subdomain`, {
      headers: { authorization: `Bearer ${apiToken}` },
    })
  ).json()) as { result: { subdomain: string } };
  return { id, token: apiToken, subdomain: sub.result.subdomain, claimUrl: created.result.claim.url };
}

/** Uploads a one-module Worker the way wrangler's script PUT does (multipart metadata + module). */
export async function uploadWorker(
  emu: Emulator,
  account: { id: string; token: string },
  name: string,
  code: string,
): Promise<Response> {
  const form = new FormData();
  form.set(
    "metadata",
    JSON.stringify({ main_module: "index.js", bindings: [], compatibility_date: "2025-01-01" }),
  );
  form.set("index.js", new File([code], "index.js", { type: "application/javascript+module" }));
  return fetch(`${emu.apiBaseUrl}/accounts/${account.id}/workers/scripts/${name}`, {
    method: "PUT",
    headers: { authorization: `Bearer ${account.token}` },
    body: form,
  });
}

/**
 * One emulator for a test file: started before its tests (quiet unless `options.log` says),
 * closed and its state removed after them, with every fixture the file copied through
 * `fixture`. Read the emulator as `file.emu` inside tests and hooks.
 */
export function emulatorForFile(options: EmulatorOptions = {}): {
  readonly emu: Emulator;
  fixture(name: string): Project;
  /** Closes the emulator and starts it again on the same state directory. */
  restart(): Promise<void>;
} {
  let started: Emulator | undefined;
  const projects: Project[] = [];
  beforeAll(async () => {
    started = await startEmulator({ log: () => {}, ...options });
  });
  afterAll(async () => {
    await started?.close();
    if (started) rmSync(started.stateDir, { recursive: true, force: true });
    for (const p of projects) p.remove();
  });
  return {
    get emu() {
      if (!started) throw new Error("the emulator is read before the file's beforeAll started it");
      return started;
    },
    fixture(name) {
      const project = copyFixture(name);
      projects.push(project);
      return project;
    },
    async restart() {
      const stateDir = this.emu.stateDir;
      await this.emu.close();
      started = await startEmulator({ log: () => {}, ...options, stateDir });
    },
  };
}
