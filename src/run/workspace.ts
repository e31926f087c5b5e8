/**
 * Keeping the Sandbox consistent with the Workflow. A step may run twice
 * (crash, retry), so each step that changes the Sandbox ends with a snapshot,
 * and each step that uses it first makes sure it is at the snapshot the
 * machine expects, restoring when it is not: no half-applied edits survive.
 */
import type { Job } from "../jobs/schema.ts";
import { ensureAtSnapshot } from "../adapters/sandbox/step-consistency.ts";
import { type Sandbox, WORKSPACE_DIR } from "../ports/sandbox.ts";

/** Where a directory source is visible inside a Sandbox (the local host mounts the project's jobs there). */
export const SOURCES_DIR = "/sources";

/** Makes sure the Sandbox is at the snapshot the machine expects (none yet before prepare). */
export async function ensureAt(sandbox: Sandbox, snapshotId: string | null): Promise<void> {
  if (snapshotId !== null) await ensureAtSnapshot(sandbox, snapshotId);
}

export type PrepareFailure = { code: "source_failed" | "setup_failed"; message: string };

/** Fills an empty workspace from the job's source and runs its setup commands. */
export async function materialize(sandbox: Sandbox, job: Job): Promise<PrepareFailure | null> {
  await sandbox.exec(["sh", "-c", `rm -rf ${WORKSPACE_DIR}/* ${WORKSPACE_DIR}/.[!.]* 2>/dev/null; true`]);
  const fetch =
    job.source.kind === "git"
      ? ["git", "clone", "--depth", "1", "--branch", job.source.ref, job.source.url, WORKSPACE_DIR]
      : ["cp", "-a", `${SOURCES_DIR}/${job.source.path}/.`, `${WORKSPACE_DIR}/`];
  const fetched = await sandbox.exec(fetch, { timeoutMs: 300_000 });
  if (fetched.exitCode !== 0) {
    return {
      code: "source_failed",
      message: excerpt(`${fetch.join(" ")} exited ${fetched.exitCode}: ${fetched.stderr}`),
    };
  }
  for (const command of job.setup) {
    const result = await sandbox.exec(command, { cwd: WORKSPACE_DIR, timeoutMs: 900_000 });
    if (result.exitCode !== 0) {
      return {
        code: "setup_failed",
        message: excerpt(`${command} exited ${result.exitCode}: ${result.stderr || result.stdout}`),
      };
    }
  }
  return null;
}

export function excerpt(text: string, max = 2_000): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length - max} more characters)`;
}

/** The Sandbox of a run is named after it (run ids use the same alphabet). */
export function sandboxNameOf(runId: string): string {
  return runId;
}
