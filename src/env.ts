/** The bindings and variables the nightshift Worker runs with (see wrangler.jsonc). */
import type { RunParams } from "./run/params.ts";

export interface Env {
  DB: D1Database;
  RUN_WORKFLOW: Workflow<RunParams>;
  /** Bearer token for the API (a shared secret until roles arrive). */
  NIGHTSHIFT_TOKEN?: string;
  /** "local" under `npm start`; anything else is production. */
  NIGHTSHIFT_MODE?: string;
  /** Base URL of the Cloudflare API temporary deploys go to (the local emulator in local mode). */
  CLOUDFLARE_API_BASE_URL?: string;
  /** Local mode: the Sandbox host's URL. */
  SANDBOX_HOST_URL?: string;
}
