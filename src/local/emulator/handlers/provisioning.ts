/**
 * Temporary-account provisioning (cloudflare-api.md §2): the proof-of-work
 * challenge and the account creation that verifies its solution. Both are
 * unauthenticated; wrangler checks their HTTP status, so refusals are non-2xx.
 */
import { randomBytes } from "node:crypto";
import { z } from "zod";
import { claimUrl, createTemporaryAccount } from "../accounts.ts";
import { type Handler, json, jsonBody } from "../context.ts";
import { CfApiError, CfCode, ok } from "../envelope.ts";
import { hexId } from "../ids.ts";
import { verify } from "../pow.ts";

const CHALLENGE_TTL_MS = 5 * 60_000;

export const createChallenge: Handler = (_ctx, svc) => {
  const now = svc.now().getTime();
  for (const [token, c] of svc.challenges) if (c.expiresAt <= now) svc.challenges.delete(token);
  const seed = randomBytes(32);
  const challengeToken = hexId();
  const { powK: k, powG: g } = svc.config;
  svc.challenges.set(challengeToken, { seed, k, g, expiresAt: now + CHALLENGE_TTL_MS });
  return json(ok({ challengeToken, seed: seed.toString("base64url"), k, g }));
};

const CreateBody = z.looseObject({
  acceptTermsOfService: z.string().optional(),
  challengeToken: z.string(),
  solution: z.object({ checkpoints: z.string() }),
  eventCode: z.string().optional(),
});

export const createPreviewAccount: Handler = (ctx, svc) => {
  const body = jsonBody(ctx, CreateBody);
  if (body.acceptTermsOfService !== undefined && body.acceptTermsOfService !== "yes") {
    throw new CfApiError(400, CfCode.invalidRequest, "The Terms of Service must be accepted");
  }
  const challenge = svc.challenges.get(body.challengeToken);
  if (!challenge || challenge.expiresAt <= svc.now().getTime()) {
    throw new CfApiError(400, CfCode.challengeInvalid, "Unknown or expired proof-of-work challenge");
  }
  svc.challenges.delete(body.challengeToken); // single use, right or wrong
  const why = verify(challenge, body.solution.checkpoints);
  if (why) {
    svc.log(`refused a proof-of-work solution: ${why}`);
    throw new CfApiError(400, CfCode.challengeInvalid, `Invalid proof-of-work solution: ${why}`);
  }
  const account = createTemporaryAccount(svc);
  const claim = account.claim!;
  return json(
    ok({
      account: {
        id: account.id,
        name: account.name,
        apiToken: account.apiToken,
        expiresAt: account.expiresAt,
      },
      claim: { url: claimUrl(svc, claim.token), expiresAt: claim.expiresAt },
      ...(body.eventCode !== undefined ? { eventCodeAccepted: true } : {}),
    }),
  );
};
