import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

// Two projects: Worker code runs in workerd through the Workers pool; the local
// stack and the CLI (Node only) run in Node.
export default defineConfig({
  test: {
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
            "test/{loop,run,gates,control,store,web,ui,jobs,api,adapters,triggers,ports}/**/*.test.ts",
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
