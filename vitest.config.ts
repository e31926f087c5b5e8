import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { splitByWorkerEnv } from "./test/support/worker-env-files.ts";

// Worker code runs in workerd through the Workers pool, in two projects: the files that reach
// the Worker's environment (D1, the API, the Workflow) get the D1 migrations applied first; the
// pure ones (the machine, parsers, checks) skip that setup, which costs seconds a file. The local
// stack and the CLI (Node only) run in Node.
const workers = splitByWorkerEnv(
  import.meta.dirname,
  [
    "loop",
    "run",
    "gates",
    "control",
    "store",
    "web",
    "ui",
    "jobs",
    "api",
    "adapters",
    "triggers",
    "ports",
    "hostile",
  ],
  // Adapter tests that need real Node servers or processes say so in their name.
  /\.node\.test\.ts$/,
);

const workersPool = () =>
  cloudflareTest(async () => ({
    wrangler: { configPath: `${import.meta.dirname}/test/support/wrangler.test.jsonc` },
    miniflare: {
      bindings: {
        TEST_MIGRATIONS: await readD1Migrations(`${import.meta.dirname}/src/store/migrations`),
        NIGHTSHIFT_TOKEN: "test-token",
      },
    },
  }));

export default defineConfig({
  test: {
    // Vitest's default is one file at a time on a 2-core machine (cores - 1); most test time is
    // spent waiting on real servers and processes (wrangler dev, workerd, bubblewrap), so two at
    // a time nearly halves the run without starving either.
    maxWorkers: 2,
    projects: [
      {
        plugins: [workersPool()],
        test: { name: "workers", include: workers.env, setupFiles: ["test/support/apply-migrations.ts"] },
      },
      {
        plugins: [workersPool()],
        test: { name: "workers-pure", include: workers.pure },
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
