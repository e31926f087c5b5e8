/**
 * Keeping the Sandbox consistent with the Workflow. A step may run twice
 * (crash, retry), so each step that changes the Sandbox ends with a snapshot,
 * and each step that uses it first makes sure it is at the snapshot the
 * machine expects, restoring when it is not: no half-applied edits survive.
 */
import type { IdempotencyKey } from "../ports/vocabulary.ts";
import type { Job } from "../jobs/schema.ts";
import { ensureAtSnapshot } from "../ports/step-consistency.ts";
import { type Sandbox, type SandboxProvider, WORKSPACE_DIR } from "../ports/sandbox.ts";
import { digest } from "../store/digest.ts";
import { tlsHint } from "./tls-hint.ts";

/** Where a directory source is visible inside a Sandbox (the local host mounts the project's jobs there). */
export const SOURCES_DIR = "/sources";

/** Makes sure the Sandbox is at the snapshot the machine expects (none yet before prepare). */
export async function ensureAt(sandbox: Sandbox, snapshotId: string | null): Promise<void> {
  if (snapshotId === null) return;
  // Same check, same restore; where the adapter can, without a separate status round trip.
  if (sandbox.ensureAtSnapshot) await sandbox.ensureAtSnapshot(snapshotId);
  else await ensureAtSnapshot(sandbox, snapshotId);
}

/**
 * Starts putting the Sandbox back at `snapshotId` without waiting for it, where the adapter can:
 * for a step that leaves the workspace changed (a deploy leaves wrangler's build output) and is
 * followed by idle time (the propagation wait), so the next step's `ensureAt` finds it done.
 * Only a head start: a failure here changes nothing, the next `ensureAt` restores or reports.
 */
export async function restoreSoon(sandbox: Sandbox, snapshotId: string | null): Promise<void> {
  if (snapshotId === null || !sandbox.ensureAtSnapshotSoon) return;
  await sandbox.ensureAtSnapshotSoon(snapshotId).catch(() => undefined);
}

export type PrepareFailure = { code: "source_failed" | "setup_failed"; message: string };

/**
 * What prepare did, as a person would read it in a terminal: each command, its output, its
 * exit. Kept as the step's `setup-log` artifact (`nightshift logs <run> --step prepare#1`),
 * since a failure's message holds only an excerpt.
 */
export type PrepareLog = string[];

function logCommand(
  log: PrepareLog,
  command: string,
  result: { exitCode: number; stdout: string; stderr: string },
) {
  log.push(`$ ${command}`);
  for (const text of [result.stdout, result.stderr]) if (text.trim()) log.push(text.trimEnd());
  log.push(`# exit ${result.exitCode}`);
}

/** Fills an empty workspace from the job's source (a fresh clone or copy: cheap). */
export async function fetchSource(
  sandbox: Sandbox,
  job: Job,
  log: PrepareLog = [],
): Promise<PrepareFailure | null> {
  await sandbox.exec(["sh", "-c", `rm -rf ${WORKSPACE_DIR}/* ${WORKSPACE_DIR}/.[!.]* 2>/dev/null; true`]);
  const fetch =
    job.source.kind === "git"
      ? ["git", "clone", "--depth", "1", "--branch", job.source.ref, job.source.url, WORKSPACE_DIR]
      : ["cp", "-a", `${SOURCES_DIR}/${job.source.path}/.`, `${WORKSPACE_DIR}/`];
  const fetched = await sandbox.exec(fetch, { timeoutMs: 300_000 });
  logCommand(log, fetch.join(" "), fetched);
  if (fetched.exitCode !== 0) {
    return {
      code: "source_failed",
      message: withHint(`${fetch.join(" ")} exited ${fetched.exitCode}: ${fetched.stderr}`),
    };
  }
  return null;
}

/** Runs the job's setup commands (e.g. `npm ci`): the slow part a setup snapshot saves. */
export async function runSetup(
  sandbox: Sandbox,
  job: Job,
  log: PrepareLog = [],
): Promise<PrepareFailure | null> {
  for (const command of job.setup) {
    const result = await sandbox.exec(command, { cwd: WORKSPACE_DIR, timeoutMs: 900_000 });
    logCommand(log, command, result);
    if (result.exitCode !== 0) {
      return {
        code: "setup_failed",
        message: withHint(`${command} exited ${result.exitCode}: ${result.stderr || result.stdout}`),
      };
    }
  }
  return null;
}

const LOCKFILES = ["package-lock.json", "pnpm-lock.yaml", "yarn.lock", "bun.lock"];

/**
 * The name of the setup snapshot for the workspace as fetched: a digest of what
 * setup depends on (the source revision or tree, the setup commands, the
 * lockfile), so a nightly job reinstalls only when one of them changed.
 */
export async function setupSnapshotName(sandbox: Sandbox, job: Job): Promise<string> {
  const revision = await sandbox.exec(
    job.source.kind === "git"
      ? ["git", "-C", WORKSPACE_DIR, "rev-parse", "HEAD"]
      : [
          "sh",
          "-c",
          `cd ${WORKSPACE_DIR} && find . -type f ! -path './node_modules/*' -exec sha256sum {} + | sort`,
        ],
  );
  const lockfiles: Record<string, string> = {};
  for (const file of LOCKFILES) {
    const text = await sandbox.readFile(`${WORKSPACE_DIR}/${file}`).catch(() => null);
    if (text !== null) lockfiles[file] = text;
  }
  const hash = await digest({ source: job.source, setup: job.setup, revision: revision.stdout, lockfiles });
  return `setup-${job.name}-${hash.slice("sha256:".length, "sha256:".length + 16)}`;
}

export type Prepared =
  | { ok: true; snapshotId: string; reused: boolean; log: string }
  | { ok: false; error: PrepareFailure; log: string };

/**
 * The prepare step: fetch the source; restore the job's setup snapshot when its
 * inputs are unchanged, else run setup and keep the result as a pinned snapshot
 * named after those inputs, for the next run. `log` is what it ran and what that printed.
 */
export async function prepareWorkspace(
  sandboxes: SandboxProvider,
  sandbox: Sandbox,
  job: Job,
  idempotencyKey: IdempotencyKey,
): Promise<Prepared> {
  const lines: PrepareLog = [];
  const log = () => tailOf(lines.join("\n"), MAX_LOG);
  const fetched = await fetchSource(sandbox, job, lines);
  if (fetched) return { ok: false, error: fetched, log: log() };
  if (job.setup.length === 0) {
    const snap = await sandbox.snapshot({ idempotencyKey, name: "prepared" });
    return { ok: true, snapshotId: snap.id, reused: false, log: log() };
  }
  const name = await setupSnapshotName(sandbox, job);
  const known = (await sandboxes.listSnapshots()).find((s) => s.name === name);
  if (known) {
    await sandbox.restore(known.id);
    lines.push(`# setup unchanged: restored the setup snapshot ${name}`);
    return { ok: true, snapshotId: known.id, reused: true, log: log() };
  }
  const failed = await runSetup(sandbox, job, lines);
  if (failed) return { ok: false, error: failed, log: log() };
  const snap = await sandbox.snapshot({ idempotencyKey, name, pin: true });
  lines.push(`# kept as the setup snapshot ${name}`);
  return { ok: true, snapshotId: snap.id, reused: false, log: log() };
}

/** A D1 row holds at most 2 MB; a setup log is kept to its last 256 KiB (the end says what failed). */
const MAX_LOG = 256 * 1024;

function tailOf(text: string, max: number): string {
  return text.length <= max ? text : `… (${text.length - max} characters before)\n${text.slice(-max)}`;
}

/** A failure's message, led by what a certificate error means when the output shows one. */
function withHint(text: string): string {
  const hint = tlsHint(text);
  return hint ? `${hint}. ${excerpt(text)}` : excerpt(text);
}

export function excerpt(text: string, max = 2_000): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length - max} more characters)`;
}

/** The Sandbox of a run is named after it (run ids use the same alphabet). */
export function sandboxNameOf(runId: string): string {
  return runId;
}
