/**
 * Artifacts: reports, logs and diffs too large for a step result (a Workflow
 * step result is at most 1 MiB). Steps store them here and return the ref.
 */

export async function putArtifact(
  db: D1Database,
  artifact: { ref: string; runId: string; kind: string; body: string; at: number },
): Promise<string> {
  await db
    .prepare(
      `INSERT INTO artifacts (ref, run_id, kind, body, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
       ON CONFLICT (ref) DO UPDATE SET body = excluded.body`,
    )
    .bind(artifact.ref, artifact.runId, artifact.kind, artifact.body, artifact.at)
    .run();
  return artifact.ref;
}

export async function getArtifact(
  db: D1Database,
  ref: string,
): Promise<{ kind: string; body: string } | null> {
  return db
    .prepare(`SELECT kind, body FROM artifacts WHERE ref = ?1`)
    .bind(ref)
    .first<{ kind: string; body: string }>();
}
