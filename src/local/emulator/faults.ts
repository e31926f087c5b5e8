/**
 * Fault injection for crash tests (`POST /__emulator/faults`). A fault
 * matches requests by method and path and acts on the next `times` of them:
 *
 * - `hang`: the request is handled as usual (the change is made, an
 *   Idempotency-Key is recorded) and the answer is never sent: a caller that
 *   crashed, or lost the connection, after Cloudflare made the change. The
 *   connection stays open until the caller gives up, the faults are cleared
 *   (`DELETE /__emulator/faults` drops held connections) or the emulator closes.
 * - `drop`: the connection is closed without an answer and nothing is done:
 *   the request never reached Cloudflare.
 * - `status`: answered with that HTTP status and a Cloudflare error envelope;
 *   nothing is done.
 *
 * Every faulted request is still in the request log, with `fault` set.
 * Faults apply to the Cloudflare API and the claim pages, never to the admin
 * API. The path is the request's path as sent (`/client/v4/zones/…`).
 */
import { z } from "zod";

export const FAULT_ACTIONS = ["hang", "drop", "status"] as const;
export type FaultAction = (typeof FAULT_ACTIONS)[number];

export const faultSpecSchema = z
  .strictObject({
    method: z
      .string()
      .min(1)
      .transform((m) => m.toUpperCase())
      .optional(),
    pathPrefix: z.string().startsWith("/").optional(),
    pathRegex: z.string().min(1).optional(),
    /** How many matching requests it acts on; default 1. */
    times: z.number().int().min(1).default(1),
    action: z.enum(FAULT_ACTIONS),
    /** For `status`: the HTTP status (default 500) and the Cloudflare error code and message. */
    status: z.number().int().min(400).max(599).optional(),
    code: z.number().int().optional(),
    message: z.string().optional(),
  })
  .refine((f) => (f.pathPrefix === undefined) !== (f.pathRegex === undefined), {
    message: "give exactly one of pathPrefix and pathRegex",
  })
  .refine((f) => f.action === "status" || f.status === undefined, {
    message: "status is only for action status",
    path: ["status"],
  });
export type FaultSpec = z.input<typeof faultSpecSchema>;

export interface Fault {
  id: number;
  method: string | null;
  pathPrefix: string | null;
  pathRegex: string | null;
  action: FaultAction;
  status: number | null;
  code: number | null;
  message: string | null;
  /** Matching requests it will still act on. */
  remaining: number;
  /** Requests it acted on so far. */
  hits: number;
}

export class FaultTable {
  private faults: Array<Fault & { regex: RegExp | null }> = [];
  private nextId = 1;
  private held = new Set<() => void>();

  /** Adds a fault; throws when `pathRegex` is not a valid regular expression. */
  add(input: z.output<typeof faultSpecSchema>): Fault {
    let regex: RegExp | null = null;
    if (input.pathRegex !== undefined) {
      try {
        regex = new RegExp(input.pathRegex);
      } catch (error) {
        throw new Error(
          `pathRegex ${JSON.stringify(input.pathRegex)} is not a valid regular expression: ${(error as Error).message}`,
        );
      }
    }
    const fault = {
      id: this.nextId++,
      method: input.method ?? null,
      pathPrefix: input.pathPrefix ?? null,
      pathRegex: input.pathRegex ?? null,
      action: input.action,
      status: input.action === "status" ? (input.status ?? 500) : null,
      code: input.code ?? null,
      message: input.message ?? null,
      remaining: input.times,
      hits: 0,
      regex,
    };
    this.faults.push(fault);
    return strip(fault);
  }

  /** The first fault with uses left that matches; counts the use. */
  take(method: string, path: string): Fault | null {
    const fault = this.faults.find(
      (f) =>
        f.remaining > 0 &&
        (f.method === null || f.method === method.toUpperCase()) &&
        (f.pathPrefix === null || path.startsWith(f.pathPrefix)) &&
        (f.regex === null || f.regex.test(path)),
    );
    if (!fault) return null;
    fault.remaining--;
    fault.hits++;
    return strip(fault);
  }

  list(): Fault[] {
    return this.faults.map(strip);
  }

  /** Keeps a hung request's connection; `release` closes it when the faults are cleared. */
  hold(release: () => void): () => void {
    this.held.add(release);
    return () => this.held.delete(release);
  }

  /** Removes every fault and drops the connections that hang. */
  clear(): number {
    const released = this.held.size;
    for (const release of this.held) release();
    this.held.clear();
    this.faults = [];
    return released;
  }
}

function strip(fault: Fault & { regex: RegExp | null }): Fault {
  const { regex: _regex, ...rest } = fault;
  return { ...rest };
}
