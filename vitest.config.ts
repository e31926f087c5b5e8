import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

// Two projects: Worker code runs in workerd through the Workers pool; the local
// stack and the CLI (Node only) run in Node.
export default defineConfig({
  test: {
    // Vitest's default is one file at a time on a 2-core machine (cores - 1); most test time is
    // spent waiting on real servers and processes (wrangler dev, workerd, bubblewrap), so two at
    // a time nearly halves the run without starving either.
    maxWorkers: 2,
    projects: [
      {
        plugins: [
          cloudflareTest(async () => ({
            wrangler: { configPath: `${import.meta.dirname}/test/support/wrangler.test.jsonc` },
            miniflare: {
              bindings: {
                TEST_MIGRATIONS: await readD1Migrations(`${import.meta.dirname}/src/store/migrations`),
                NIGHTSHIFT_TOKEN: "test-token",
              },
            },
          })),
        ],
        test: {
          name: "workers",
          include: [
            "test/{loop,run,gates,control,store,web,ui,jobs,api,adapters,triggers,ports,hostile}/**/*.test.ts",
          ],
          // Adapter tests that need real Node servers or processes say so in their name.
          exclude: ["**/*.node.test.ts"],
          setupFiles: ["test/support/apply-migrations.ts"],
        },
      },
      {
        test: {
          name: "node",
          environment: "node",
          include: ["test/{local,cli,e2e,dns}/**/*.test.ts", "test/**/*.node.test.ts"],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
