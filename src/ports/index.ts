/** The ports a run needs, bundled: `src/worker.ts` wires adapters into this shape. */
import type { Job } from "../jobs/schema.ts";
import type { Agent } from "./agent.ts";
import type { Clock } from "./clock.ts";
import type { Deployer } from "./deployer.ts";
import type { Dns } from "./dns.ts";
import type { Notifier } from "./notifier.ts";
import type { SandboxProvider } from "./sandbox.ts";
import type { Verifier } from "./verifier.ts";

export interface Ports {
  sandboxes: SandboxProvider;
  agentFor(spec: Job["agent"]): Agent;
  deployer: Deployer;
  verifier: Verifier;
  dns: Dns;
  notifier: Notifier;
  clock: Clock;
  /** Which Cloudflare API temporary deploys go to: terms sign-offs are recorded per API base. */
  apiBase: string;
  /**
   * Local mode only, when `apiBase` is the local emulator: the emulator's own
   * terms, which a run records as an automatic sign-off (marked as such in the
   * audit log) instead of waiting for a legal approver. Absent everywhere else.
   */
  automaticSignoff?: AutomaticSignoff | null;
}

export interface AutomaticSignoff {
  termsUrl: string;
  privacyUrl: string;
  /** Why no person signed, for the sign-off's note and the audit event. */
  note: string;
}
