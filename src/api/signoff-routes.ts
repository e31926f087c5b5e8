/**
 * Legal sign-offs of a provider's terms over the API: anyone with a role reads
 * them; recording one needs `legal`.
 */
import type { Hono } from "hono";
import { z } from "zod";
import { listSignoffs, recordSignoff } from "../store/signoffs.ts";
import { type AppEnv, demand } from "../web/auth.ts";
import { hasRole } from "../web/roles.ts";
import { deciderOf } from "./decider.ts";
import { jsonBody } from "./validate.ts";

const signoffBody = z.strictObject({
  apiBase: z.url(),
  termsUrl: z.url().default("https://www.cloudflare.com/terms/"),
  privacyUrl: z.url().default("https://www.cloudflare.com/privacypolicy/"),
  by: z.string().min(1).max(200).optional(),
  note: z.string().max(2_000).optional(),
});

export function mountSignoffRoutes(app: Hono<AppEnv>, options: { now: () => number }): void {
  const { now } = options;

  app.get("/api/signoffs", async (c) => c.json({ signoffs: await listSignoffs(c.env.DB) }));

  app.post("/api/signoffs", async (c) => {
    demand(c.get("principal"), hasRole(c.get("principal"), "legal"), "record a legal sign-off (needs legal)");
    const body = await jsonBody(c, signoffBody);
    const at = now();
    const id = `tos-${at.toString(36)}-${crypto.randomUUID().slice(0, 8)}`;
    await recordSignoff(c.env.DB, {
      id,
      apiBase: body.apiBase,
      termsUrl: body.termsUrl,
      privacyUrl: body.privacyUrl,
      signedBy: deciderOf(c.get("principal"), body.by).identity,
      signedAt: at,
      automatic: false,
      ...(body.note ? { note: body.note } : {}),
    });
    return c.json({ signoff: { id, ...body, signedAt: at } }, 201);
  });
}
