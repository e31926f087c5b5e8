/**
 * Says what a certificate error in a Sandbox command most likely is: a TLS-inspecting proxy (or
 * a private registry) whose CA the host trusts and the Sandbox was not given. Without it the
 * message is npm's last line after minutes of retries (pure).
 */
const UNTRUSTED_CERTIFICATE =
  /SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|UNABLE_TO_GET_ISSUER_CERT(?:_LOCALLY)?|UNABLE_TO_VERIFY_LEAF_SIGNATURE|CERTIFICATE_VERIFY_FAILED|self[- ]signed certificate|unable to get local issuer certificate|unable to verify the first certificate|server certificate verification failed/i;

export const TLS_HINT =
  'a TLS certificate was not trusted. Behind a TLS-inspecting proxy, give the host its CA (NODE_EXTRA_CA_CERTS or NIGHTSHIFT_CA_CERTS naming a PEM file, and HTTPS_PROXY) before starting nightshift: see docs/sandbox.md, "Behind a corporate proxy / TLS inspection"';

/** `TLS_HINT` when `output` shows an untrusted certificate, else null. */
export function tlsHint(output: string): string | null {
  return UNTRUSTED_CERTIFICATE.test(output) ? TLS_HINT : null;
}
