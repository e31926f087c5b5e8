/**
 * From a webhook payload to a run's input, per job: the trigger's `input`
 * schema (a zod schema in the job file) must accept the payload, and its
 * `map` function, when given, shapes the result. Without either, the input is
 * `{ webhook: { source, event, deliveryId }, payload }`. A payload that does
 * not fit is an expected outcome with the zod path of the problem (the API
 * answers 422 and starts nothing). Pure apart from the job's own functions.
 */
import type { z } from "zod";
import type { WebhookDelivery, WebhookTrigger } from "../jobs/schema.ts";
import { err, ok, type Result } from "../ports/result.ts";

export interface PayloadProblem {
  code: "invalid_payload";
  /** Where in the body, e.g. `body.pull_request.number`. */
  path: string;
  message: string;
  issues: Array<{ path: string; message: string }>;
}

function fromZod(error: z.ZodError): PayloadProblem {
  const issues = error.issues.map((i) => ({
    path: ["body", ...i.path.map(String)].join("."),
    message: i.message,
  }));
  const first = issues[0] ?? { path: "body", message: "invalid payload" };
  return { code: "invalid_payload", path: first.path, message: `${first.path}: ${first.message}`, issues };
}

/** Run inputs cross into D1 and Workflow params as JSON: functions, dates and the like are flattened. */
function asJson(value: unknown): unknown {
  return value === undefined ? {} : JSON.parse(JSON.stringify(value));
}

export function webhookInput(
  trigger: WebhookTrigger,
  payload: unknown,
  delivery: WebhookDelivery,
): Result<unknown, PayloadProblem> {
  let value: unknown = payload;
  if (trigger.input) {
    const parsed = trigger.input.safeParse(payload);
    if (!parsed.success) return err(fromZod(parsed.error));
    value = parsed.data;
  }
  if (trigger.map) {
    try {
      value = trigger.map(value as never, delivery);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return err({
        code: "invalid_payload",
        path: "body",
        message: `the job's map rejected it: ${message}`,
        issues: [],
      });
    }
  } else if (!trigger.input) {
    value = { webhook: delivery, payload };
  }
  return ok(asJson(value));
}
