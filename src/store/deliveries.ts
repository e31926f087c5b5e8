/**
 * Accepted webhook deliveries (migration 0002): which source, which delivery
 * id, which runs it started. A redelivery is answered from here. Headers,
 * secrets and signatures are never stored.
 */
import { z } from "zod";
import { parseRows } from "./rows.ts";

export const deliveryRunSchema = z.object({
  job: z.string(),
  runId: z.string(),
  outcome: z.enum(["started", "existing", "queued", "skipped"]),
  reason: z.string().optional(),
});
export type DeliveryRun = z.output<typeof deliveryRunSchema>;

export const deliveryRow = z.object({
  source: z.string(),
  delivery_id: z.string(),
  event: z.string().nullable(),
  runs_json: z.string().transform((text) => z.array(deliveryRunSchema).parse(JSON.parse(text))),
  received_at: z.number(),
});
export type DeliveryRow = z.output<typeof deliveryRow>;

export async function getDelivery(
  db: D1Database,
  source: string,
  deliveryId: string,
): Promise<DeliveryRow | null> {
  const row = await db
    .prepare(`SELECT * FROM deliveries WHERE source = ?1 AND delivery_id = ?2`)
    .bind(source, deliveryId)
    .first();
  return row ? deliveryRow.parse(row) : null;
}

/** Records a delivery; false when it was already recorded (a concurrent redelivery won). */
export async function recordDelivery(
  db: D1Database,
  delivery: { source: string; deliveryId: string; event: string | null; runs: DeliveryRun[]; at: number },
): Promise<boolean> {
  const result = await db
    .prepare(
      `INSERT INTO deliveries (source, delivery_id, event, runs_json, received_at)
       VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (source, delivery_id) DO NOTHING`,
    )
    .bind(delivery.source, delivery.deliveryId, delivery.event, JSON.stringify(delivery.runs), delivery.at)
    .run();
  return result.meta.changes === 1;
}

export async function listDeliveries(
  db: D1Database,
  filter: { source?: string; limit: number },
): Promise<DeliveryRow[]> {
  const { results } = filter.source
    ? await db
        .prepare(`SELECT * FROM deliveries WHERE source = ?1 ORDER BY received_at DESC LIMIT ?2`)
        .bind(filter.source, filter.limit)
        .all()
    : await db
        .prepare(`SELECT * FROM deliveries ORDER BY received_at DESC LIMIT ?1`)
        .bind(filter.limit)
        .all();
  return parseRows(deliveryRow, results);
}
