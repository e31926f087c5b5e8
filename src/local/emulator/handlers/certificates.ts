/**
 * mTLS and CA certificates (`wrangler cert upload mtls-certificate|certificate-authority`,
 * `cert list`, `cert delete`, all with `--temporary`): the "SSL/TLS certificates" a temporary
 * account supports. The PEM is parsed as Cloudflare does (a certificate that does not parse, or a
 * key that does not match it, is refused); answers carry the certificate's facts, never its key.
 */
import { createPrivateKey, X509Certificate } from "node:crypto";
import { z } from "zod";
import { callerAccount, type Handler, json, jsonBody, param } from "../context.ts";
import { CfApiError, ok } from "../envelope.ts";
import { hexId } from "../ids.ts";
import type { MtlsCertificateRecord } from "../state.ts";

/** The certificate API's codes for a PEM it cannot use and an unknown id. */
const CERTIFICATE_INVALID = 1402;
const CERTIFICATE_NOT_FOUND = 1404;

/** A file's text, as wrangler sends it (a string; an older wrangler sent a serialised Buffer). */
const Pem = z.union([
  z.string(),
  z
    .object({ type: z.literal("Buffer"), data: z.array(z.number()) })
    .transform((b) => Buffer.from(b.data).toString("utf8")),
]);

const UploadBody = z.looseObject({
  name: z.string().min(1).optional(),
  certificates: Pem,
  private_key: Pem.optional(),
  ca: z.boolean().default(false),
});

function view(cert: MtlsCertificateRecord): Record<string, unknown> {
  return {
    id: cert.id,
    name: cert.name,
    ca: cert.ca,
    certificates: cert.certificates,
    issuer: cert.issuer,
    serial_number: cert.serialNumber,
    signature: cert.signature,
    expires_on: cert.expiresOn,
    uploaded_on: cert.uploadedOn,
  };
}

function parse(body: z.infer<typeof UploadBody>): X509Certificate {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(body.certificates);
  } catch {
    throw new CfApiError(400, CERTIFICATE_INVALID, "certificates: not a PEM-encoded X.509 certificate");
  }
  if (!body.ca && !body.private_key) {
    throw new CfApiError(400, CERTIFICATE_INVALID, "private_key: an mTLS certificate needs its private key");
  }
  if (body.private_key) {
    let key: ReturnType<typeof createPrivateKey>;
    try {
      key = createPrivateKey(body.private_key);
    } catch {
      throw new CfApiError(400, CERTIFICATE_INVALID, "private_key: not a PEM-encoded private key");
    }
    if (!cert.checkPrivateKey(key)) {
      throw new CfApiError(400, CERTIFICATE_INVALID, "private_key: does not match the certificate");
    }
  }
  return cert;
}

export const uploadCertificate: Handler = (ctx, svc) => {
  const account = callerAccount(ctx);
  const body = jsonBody(ctx, UploadBody);
  const cert = parse(body);
  const record: MtlsCertificateRecord = {
    id: crypto.randomUUID(),
    accountId: account.id,
    name: body.name ?? null,
    certificates: body.certificates,
    privateKey: body.private_key ?? null,
    ca: body.ca,
    issuer: cert.issuer.replace(/\n/g, ", "),
    serialNumber: cert.serialNumber.toLowerCase(),
    signature: hexId().slice(0, 16),
    expiresOn: new Date(cert.validTo).toISOString(),
    uploadedOn: svc.now().toISOString(),
  };
  svc.store.state.mtlsCertificates[record.id] = record;
  svc.store.save();
  return json(ok(view(record)));
};

export const listCertificates: Handler = (ctx, svc) => {
  const account = callerAccount(ctx);
  const name = ctx.query.get("name");
  const ca = ctx.query.get("ca");
  const all = Object.values(svc.store.state.mtlsCertificates)
    .filter((c) => c.accountId === account.id)
    .filter((c) => name === null || c.name === name)
    .filter((c) => ca === null || String(c.ca) === ca)
    .sort((a, b) => a.uploadedOn.localeCompare(b.uploadedOn))
    .map(view);
  return json(ok(all));
};

function certificateOf(ctx: Parameters<Handler>[0], svc: Parameters<Handler>[1]): MtlsCertificateRecord {
  const account = callerAccount(ctx);
  const cert = svc.store.state.mtlsCertificates[param(ctx, "certificate")];
  if (!cert || cert.accountId !== account.id) {
    throw new CfApiError(404, CERTIFICATE_NOT_FOUND, "Certificate not found");
  }
  return cert;
}

export const getCertificate: Handler = (ctx, svc) => json(ok(view(certificateOf(ctx, svc))));

export const deleteCertificate: Handler = (ctx, svc) => {
  const cert = certificateOf(ctx, svc);
  delete svc.store.state.mtlsCertificates[cert.id];
  svc.store.save();
  return json(ok(view(cert)));
};
