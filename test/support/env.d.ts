// Bindings the test Worker sees (see test/support/wrangler.test.jsonc and vitest.config.ts).
declare namespace Cloudflare {
  interface Env {
    DB: D1Database;
    RUN_WORKFLOW: Workflow<import("../../src/jobs/run-params.ts").RunParams>;
    NIGHTSHIFT_TOKEN: string;
    TEST_MIGRATIONS: import("cloudflare:test").D1Migration[];
  }
}

declare namespace Cloudflare {
  interface GlobalProps {
    mainModule: typeof import("./test-worker.ts");
  }
}
