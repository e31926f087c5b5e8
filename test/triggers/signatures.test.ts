/**
 * Signature checks against signatures made by the senders' own libraries:
 * `@octokit/webhooks-methods` for GitHub and `standardwebhooks` (the
 * reference implementation) for Standard Webhooks, over real payload shapes.
 */
import { sign as githubSign } from "@octokit/webhooks-methods";
import examples from "@octokit/webhooks-examples";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { verifyGithubSignature, verifyStandardWebhook } from "../../src/triggers/signatures.ts";

const bytes = (text: string) => new TextEncoder().encode(text);
const pushPayload = JSON.stringify(examples.find((d) => d.name === "push")!.examples[4]);

const OLD = `whsec_${btoa("an-old-secret-of-32-bytes-length")}`;
const NEW = `whsec_${btoa("the-new-secret-of-32-bytes-long!")}`;
const NOW = Date.parse("2026-08-22T02:00:00Z");

function standardHeaders(
  secret: string,
  body: string,
  at = new Date(NOW),
  id = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W",
) {
  return {
    id,
    timestamp: String(Math.floor(at.getTime() / 1000)),
    signatures: new Webhook(secret).sign(id, at, body),
  };
}

describe("GitHub X-Hub-Signature-256", () => {
  it("accepts what octokit signs over a real push payload", async () => {
    const header = await githubSign("s3cret", pushPayload);
    expect(await verifyGithubSignature({ secrets: ["s3cret"], header, body: bytes(pushPayload) })).toEqual({
      ok: true,
      value: true,
    });
  });

  it("accepts any configured secret (rotation) and refuses a wrong one", async () => {
    const header = await githubSign("new-secret", pushPayload);
    const body = bytes(pushPayload);
    expect((await verifyGithubSignature({ secrets: ["old-secret", "new-secret"], header, body })).ok).toBe(
      true,
    );
    const wrong = await verifyGithubSignature({ secrets: ["old-secret"], header, body });
    expect(wrong).toMatchObject({ ok: false, error: { code: "bad_signature" } });
  });

  it("refuses a tampered body, a missing header and a malformed one", async () => {
    const header = await githubSign("s3cret", pushPayload);
    const tampered = bytes(pushPayload.replace("refs/heads/master", "refs/heads/main"));
    expect(await verifyGithubSignature({ secrets: ["s3cret"], header, body: tampered })).toMatchObject({
      ok: false,
      error: { code: "bad_signature" },
    });
    expect(
      await verifyGithubSignature({ secrets: ["s3cret"], header: undefined, body: bytes(pushPayload) }),
    ).toMatchObject({ ok: false, error: { code: "missing_signature" } });
    for (const bad of ["sha1=abc", header.slice(0, -2), `sha256=${"zz".repeat(32)}`]) {
      expect(
        (await verifyGithubSignature({ secrets: ["s3cret"], header: bad, body: bytes(pushPayload) })).ok,
      ).toBe(false);
    }
  });
});

describe("Standard Webhooks", () => {
  const body = JSON.stringify({
    type: "deploy.requested",
    timestamp: "2026-08-22T02:00:00Z",
    data: { branch: "main" },
  });

  it("accepts what the reference library signs", async () => {
    const h = standardHeaders(NEW, body);
    expect(await verifyStandardWebhook({ secrets: [NEW], ...h, body: bytes(body), now: NOW })).toEqual({
      ok: true,
      value: true,
    });
  });

  it("accepts several signatures in one header and several secrets (key rotation)", async () => {
    const old = standardHeaders(OLD, body);
    const fresh = standardHeaders(NEW, body);
    const both = `${old.signatures} ${fresh.signatures}`;
    expect(
      (await verifyStandardWebhook({ secrets: [NEW], ...old, signatures: both, body: bytes(body), now: NOW }))
        .ok,
    ).toBe(true);
    expect(
      (await verifyStandardWebhook({ secrets: [OLD, NEW], ...old, body: bytes(body), now: NOW })).ok,
    ).toBe(true);
    expect((await verifyStandardWebhook({ secrets: [NEW], ...old, body: bytes(body), now: NOW })).ok).toBe(
      false,
    );
  });

  it("takes the secret with or without its whsec_ prefix, and skips signature versions it does not know", async () => {
    const h = standardHeaders(NEW, body);
    expect(
      (await verifyStandardWebhook({ secrets: [NEW.slice(6)], ...h, body: bytes(body), now: NOW })).ok,
    ).toBe(true);
    const onlyV1a = await verifyStandardWebhook({
      secrets: [NEW],
      ...h,
      signatures: h.signatures.replace("v1,", "v1a,"),
      body: bytes(body),
      now: NOW,
    });
    expect(onlyV1a).toMatchObject({ ok: false, error: { code: "bad_signature" } });
  });

  it("refuses a timestamp more than 5 minutes away, either way", async () => {
    for (const offset of [-5 * 60_000 - 1_000, 5 * 60_000 + 1_000]) {
      const h = standardHeaders(NEW, body, new Date(NOW + offset));
      expect(
        await verifyStandardWebhook({ secrets: [NEW], ...h, body: bytes(body), now: NOW }),
      ).toMatchObject({
        ok: false,
        error: { code: "stale_timestamp" },
      });
    }
    const h = standardHeaders(NEW, body, new Date(NOW - 4 * 60_000));
    expect((await verifyStandardWebhook({ secrets: [NEW], ...h, body: bytes(body), now: NOW })).ok).toBe(
      true,
    );
  });

  it("refuses a tampered body, another id, and missing headers", async () => {
    const h = standardHeaders(NEW, body);
    const tampered = bytes(body.replace("main", "prod"));
    expect((await verifyStandardWebhook({ secrets: [NEW], ...h, body: tampered, now: NOW })).ok).toBe(false);
    expect(
      (await verifyStandardWebhook({ secrets: [NEW], ...h, id: "msg_other", body: bytes(body), now: NOW }))
        .ok,
    ).toBe(false);
    expect(
      await verifyStandardWebhook({
        secrets: [NEW],
        ...h,
        signatures: undefined,
        body: bytes(body),
        now: NOW,
      }),
    ).toMatchObject({ ok: false, error: { code: "missing_signature" } });
  });

  it("agrees with the reference library's own verify", async () => {
    const h = standardHeaders(NEW, body, new Date());
    const headers = {
      "webhook-id": h.id,
      "webhook-timestamp": h.timestamp,
      "webhook-signature": h.signatures,
    };
    expect(new Webhook(NEW).verify(body, headers)).toEqual(JSON.parse(body));
    expect(
      (await verifyStandardWebhook({ secrets: [NEW], ...h, body: bytes(body), now: Date.now() })).ok,
    ).toBe(true);
  });
});
