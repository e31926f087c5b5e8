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
    await response.body?.cancel();
    const status: ClaimStatus =
      response.status === 409
        ? "claimed"
        : response.status === 410
          ? "expired"
          : response.status === 200
            ? "unclaimed"
            : "unknown";
    return { status, how: `the emulator's claim page answered ${response.status}` };
  } catch (error) {
    return { status: "unknown", how: `the claim page could not be reached: ${(error as Error).message}` };
  }
}
