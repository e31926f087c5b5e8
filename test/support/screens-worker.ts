/**
 * The Worker the inbox screenshots are taken from (test/e2e/inbox-screens.test.ts): the real
 * site (API and inbox routes) over fixture rows, with the clock stopped at the fixtures' `NOW`
 * and a small fixed set of jobs, so every page renders the same each time.
 */
import type { Env } from "../../src/env.ts";
import { buildRegistry } from "../../src/jobs/registry.ts";
import type { JobInput } from "../../src/jobs/schema.ts";
import { createSite } from "../../src/site.ts";
import { NOW, SCREEN_JOBS, screenRows } from "./inbox/fixtures.ts";

const registry = buildRegistry(
  SCREEN_JOBS.map((definition) => ({
    file: `workflows/${definition.name}.ts`,
    definition: definition as JobInput,
  })),
);
const app = createSite({ registry, now: () => NOW });

async function seed(db: D1Database): Promise<void> {
  const statements = Object.entries(screenRows()).flatMap(([table, rows]) =>
    rows.map((row) => {
      const columns = Object.keys(row);
      const values = columns.map((c) => {
        const v = row[c];
        return c.endsWith("_json") ? JSON.stringify(v ?? null) : (v ?? null);
      });
      return db
        .prepare(
          `INSERT OR REPLACE INTO ${table} (${columns.join(", ")}) VALUES (${columns.map((_, i) => `?${i + 1}`).join(", ")})`,
        )
        .bind(...values);
    }),
  );
  await db.batch(statements);
}

export default {
  async fetch(request, env, ctx) {
    if (new URL(request.url).pathname === "/__screens/seed" && request.method === "POST") {
      await seed(env.DB);
      return new Response(null, { status: 204 });
    }
    return app.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<Env>;
