/**
 * Test-only job for the DNS end-to-end test: the example job (workflows/hello-kv.ts: same
 * project, replayed agent, probes) claimed into the organisation's account, then a custom
 * domain and a changed TXT record. Served by ./worker.ts only.
 */
import type { JobInput } from "../../../src/jobs/schema.ts";
import helloKv from "../../../workflows/hello-kv.ts";
import { ZONE } from "./zones.ts";

export default {
  ...helloKv,
  name: "dns-claim",
  description: "The example job, claimed, then app.superseal.club and a TXT record (tests).",
  triggers: [{ kind: "manual" }],
  deploy: { ...helloKv.deploy, workerName: "hello-dns", claimPoll: "1s" },
  dns: {
    zone: ZONE,
    hostname: `app.${ZONE}`,
    // Every name the job touches must be allowed, not only the Worker's hostname.
    allowedHostnames: [`_nightshift.${ZONE}`],
    records: [{ type: "TXT", name: `_nightshift.${ZONE}`, content: "v=2" }],
  },
} satisfies JobInput;
