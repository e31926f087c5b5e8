/**
 * Was a temporary account claimed? The claim is a human's act on Cloudflare's
 * side (sign in through the claim URL); nightshift can only look. The local
 * emulator's claim page answers 409 once claimed and 410 once expired, so in
 * local mode the answer is known. A real Cloudflare claim page needs a
 * signed-in human, so there the answer is `unknown` and the record says the
 * approver was shown the claim URL. Worker-safe.
 */

export type ClaimStatus = "claimed" | "unclaimed" | "expired" | "unknown";

export interface ClaimCheck {
  status: ClaimStatus;
  /** When the account was claimed (ms since epoch), when the page says so. */
  claimedAt?: number;
  /** How the status was found, in words, for the audit record. */
  how: string;
}

export async function checkClaim(
  claimUrl: string,
  options: { emulatorUrl?: string; fetch: typeof fetch },
): Promise<ClaimCheck> {
  const emulator = options.emulatorUrl?.replace(/\/+$/, "");
  if (!emulator || !claimUrl.startsWith(`${emulator}/claim/`)) {
    return {
      status: "unknown",
      how: "a Cloudflare claim page cannot be read without the human's sign-in; the approver was shown the claim URL",
    };
  }
  try {
    const response = await options.fetch(claimUrl, { redirect: "manual" });
    // A used link's page says when it was claimed: what tells a claim before the approval.
    let claimedAt: number | null = null;
    if (response.status === 409) claimedAt = claimedAtOf(await response.text());
    else await response.body?.cancel();
    const status: ClaimStatus =
      response.status === 409
        ? "claimed"
        : response.status === 410
          ? "expired"
          : response.status === 200
            ? "unclaimed"
            : "unknown";
    return {
      status,
      how: `the emulator's claim page answered ${response.status}`,
      ...(claimedAt !== null ? { claimedAt } : {}),
    };
  } catch (error) {
    return { status: "unknown", how: `the claim page could not be reached: ${(error as Error).message}` };
  }
}

/** The emulator's "Already claimed" page marks the time: `<time data-claimed-at="ISO">`. */
function claimedAtOf(html: string): number | null {
  const iso = /data-claimed-at="([^"]+)"/.exec(html)?.[1];
  const at = iso ? Date.parse(iso) : Number.NaN;
  return Number.isFinite(at) ? at : null;
}
