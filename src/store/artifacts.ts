/**
 * Artifacts: reports, logs and diffs too large for a step result (a Workflow
 * step result is at most 1 MiB). Steps store them here and return the ref.
 */

export interface NewArtifact {
  ref: string;
  runId: string;
  kind: string;
  body: string;
  at: number;
}

/** The write of one artifact, for a batch (a step's journal); writing it again replaces the body. */
export function artifactStatement(db: D1Database, artifact: NewArtifact): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO artifacts (ref, run_id, kind, body, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
       ON CONFLICT (ref) DO UPDATE SET body = excluded.body`,
    )
    .bind(artifact.ref, artifact.runId, artifact.kind, artifact.body, artifact.at);
}

export async function putArtifact(db: D1Database, artifact: NewArtifact): Promise<string> {
  await artifactStatement(db, artifact).run();
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

/**
 * Every artifact the step `step` of run `runId` kept (refs are `<run>:<step>:<part>`, the
 * idempotency key's sub-keys), oldest first.
 */
export async function artifactsOfStep(
  db: D1Database,
  runId: string,
  step: string,
): Promise<{ ref: string; kind: string; body: string }[]> {
  const prefix = `${runId}:${step}:`;
  const { results } = await db
    .prepare(
      `SELECT ref, kind, body FROM artifacts
       WHERE run_id = ?1 AND substr(ref, 1, length(?2)) = ?2 ORDER BY created_at, ref`,
    )
    .bind(runId, prefix)
    .all<{ ref: string; kind: string; body: string }>();
  return results;
}
