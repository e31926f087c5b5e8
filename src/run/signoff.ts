/**
 * The terms-of-service check at run start. A legal sign-off on record for the
 * run's API base lets the machine deploy without the `tos` gate. In local mode
 * against the local emulator (and only there: `Ports.automaticSignoff`), the
 * run records an automatic sign-off for the emulator's own terms and says so
 * in the audit log, so `npm start` needs no legal approver. Runs inside the
 * `init` step: the audit event is unique per run and step, the sign-off row
 * per API base, so a re-run records each once.
 */
import { appendEvent } from "../store/events.ts";
import { findSignoff, recordSignoff } from "../store/signoffs.ts";
import type { RunEnv } from "./run-env.ts";
import { INIT_STEP } from "../loop/step-names.ts";

export const AUTOMATIC_SIGNOFF_EVENT = "tos.signed_off_automatically";
export const AUTOMATIC_SIGNER = "nightshift (local mode, automatic)";

/** Whether a sign-off is on record for the run's API base, recording the automatic one where allowed. */
export async function tosSignedOff(env: RunEnv): Promise<boolean> {
  const { db, ports, runId } = env;
  if (await findSignoff(db, ports.apiBase)) return true;
  const auto = ports.automaticSignoff;
  if (!auto) return false;
  const at = ports.clock.now();
  const id = `tos-automatic:${ports.apiBase}`;
  await recordSignoff(db, {
    id,
    apiBase: ports.apiBase,
    termsUrl: auto.termsUrl,
    privacyUrl: auto.privacyUrl,
    signedBy: AUTOMATIC_SIGNER,
    signedAt: at,
    automatic: true,
    note: auto.note,
  });
  await appendEvent(db, {
    runId,
    step: INIT_STEP,
    type: AUTOMATIC_SIGNOFF_EVENT,
    actor: AUTOMATIC_SIGNER,
    data: {
      signoffId: id,
      apiBase: ports.apiBase,
      termsUrl: auto.termsUrl,
      automatic: true,
      note: auto.note,
    },
    at,
  });
  return true;
}
