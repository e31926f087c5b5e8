/**
 * Test-only job for the DNS end-to-end test: the example job deployed into the organisation's
 * account by `promotion: "deploy"`; its DNS section names the lookalike zone's apex, so a run
 * asked for superseal.club must be blocked as a near miss. Served by ./worker.ts only.
 */
import type { JobInput } from "../../../src/jobs/schema.ts";
import helloKv from "../../../workflows/hello-kv.ts";
import { LOOKALIKE_ZONE } from "./zones.ts";

export default {
  ...helloKv,
  name: "dns-deploy",
  description: "The example job deployed into the organisation's account, with a lookalike hostname (tests).",
  triggers: [{ kind: "manual" }],
  deploy: { ...helloKv.deploy, workerName: "hello-prod" },
  promotion: "deploy",
  dns: { zone: LOOKALIKE_ZONE, hostname: LOOKALIKE_ZONE, allowApex: true },
} satisfies JobInput;
