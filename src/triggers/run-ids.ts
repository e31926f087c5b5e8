/**
 * Run ids for triggered runs. The id is the dedupe key (a Workflow instance
 * id can exist once), so it is derived from what identifies the trigger:
 * job + scheduled minute for a cron tick, job + source + delivery id for a
 * webhook. A tick delivered twice, or a redelivered webhook, names the same
 * run and cannot start a second one.
 *
 * Ids must fit `runIdSchema` (`^[a-z0-9][a-z0-9_-]{0,59}$`). Job names may be
 * up to 63 characters, so a long name is shortened and a hash of the whole
 * name is kept in it. Pure (WebCrypto digests only).
 */

const MAX_RUN_ID = 60;
/** 80 bits of SHA-256: collisions among one job's deliveries are not a concern. */
const DELIVERY_HASH_CHARS = 20;

export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** The UTC minute `at` falls in, as ms (seconds and ms dropped). */
export function floorMinute(at: number): number {
  return Math.floor(at / 60_000) * 60_000;
}

/** `202608220200` for 2026-08-22T02:00Z. */
export function minuteStamp(at: number): string {
  return new Date(floorMinute(at)).toISOString().slice(0, 16).replace(/[-T:]/g, "");
}

async function withJob(job: string, suffix: string): Promise<string> {
  const room = MAX_RUN_ID - suffix.length - 1;
  if (job.length <= room) return `${job}-${suffix}`;
  const hash = (await sha256Hex(job)).slice(0, 8);
  return `${job.slice(0, room - hash.length - 1)}-${hash}-${suffix}`;
}

/**
 * The run a cron tick starts: one per job and UTC minute, whichever cron of
 * the job matched and however many times the tick arrived.
 * @example await scheduleRunId("nightly-bump", Date.parse("2026-08-22T02:00:17Z")) // "nightly-bump-202608220200"
 */
export function scheduleRunId(job: string, scheduledTime: number): Promise<string> {
  return withJob(job, minuteStamp(scheduledTime));
}

/**
 * The run a webhook delivery starts for one job: `<job>-w<hash of source and delivery id>`.
 * Delivery ids are the sender's (any characters), so only their hash goes into the id.
 */
export async function webhookRunId(job: string, source: string, deliveryId: string): Promise<string> {
  const hash = (await sha256Hex(`${source}\n${deliveryId}`)).slice(0, DELIVERY_HASH_CHARS);
  return withJob(job, `w${hash}`);
}
