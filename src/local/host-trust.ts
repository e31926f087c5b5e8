/**
 * The host's extra CA certificates: a TLS-inspecting proxy's root, a private registry's CA. The
 * host's own tools find them through NODE_EXTRA_CA_CERTS, SSL_CERT_FILE or npm's cafile (npm
 * passes `npm_config_cafile` to `npm start`), nightshift through NIGHTSHIFT_CA_CERTS as well.
 * Certificates are public, but the files naming them may hold more (a PEM file with a private
 * key beside its certificate): only certificate blocks are ever taken from them.
 */
import { X509Certificate } from "node:crypto";
import { readFile } from "node:fs/promises";
import { rootCertificates } from "node:tls";

/** The variables naming a file of CA certificates, in the order they are read. */
export const CA_VARIABLES = [
  "NIGHTSHIFT_CA_CERTS",
  "NODE_EXTRA_CA_CERTS",
  "SSL_CERT_FILE",
  "npm_config_cafile",
  "NPM_CONFIG_CAFILE",
] as const;

/** Where the bundle is inside a Sandbox (read-only), and what every command is told of it. */
export const SANDBOX_CA_BUNDLE = "/etc/nightshift/ca-certificates.pem";

/** Where the system's roots are on Debian-like hosts; elsewhere Node's own roots stand in. */
const SYSTEM_BUNDLE = "/etc/ssl/certs/ca-certificates.crt";

export interface CaSource {
  /** The variable (or option) that named the file. */
  from: string;
  path: string;
}

export class CaCertificatesError extends Error {
  override readonly name = "CaCertificatesError";
}

/** The CA files an environment names, each once (pure). */
export function caSourcesFromEnvironment(env: Readonly<Record<string, string | undefined>>): CaSource[] {
  const seen = new Set<string>();
  const sources: CaSource[] = [];
  for (const from of CA_VARIABLES) {
    const path = env[from]?.trim();
    if (!path || seen.has(path)) continue;
    seen.add(path);
    sources.push({ from, path });
  }
  return sources;
}

const CERTIFICATE = /-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]+?-----END CERTIFICATE-----/g;

/** The certificate blocks of a PEM text, normalised; everything else (keys included) is dropped (pure). */
export function certificatesIn(pem: string): string[] {
  return (pem.match(CERTIFICATE) ?? []).map((block) => {
    const body = block
      .slice("-----BEGIN CERTIFICATE-----".length, -"-----END CERTIFICATE-----".length)
      .replace(/\s+/g, "");
    const lines = body.match(/.{1,64}/g) ?? [];
    return `-----BEGIN CERTIFICATE-----\n${lines.join("\n")}\n-----END CERTIFICATE-----\n`;
  });
}

/** The system's roots: the host's bundle where it has one, else the roots Node was built with. */
export async function systemCertificates(): Promise<string[]> {
  const text = await readFile(SYSTEM_BUNDLE, "utf8").catch(() => null);
  const found = text ? certificatesIn(text) : [];
  return found.length ? found : rootCertificates.flatMap((pem) => certificatesIn(pem));
}

/**
 * The certificates of `sources` that the system's roots lack: what a Sandbox must be given.
 * A file that cannot be read or holds no valid certificate is an error naming its variable:
 * a CA the operator meant to trust and that silently is not is the slow failure this prevents.
 */
export async function extraCertificates(
  sources: readonly CaSource[],
  system: readonly string[],
): Promise<string[]> {
  const known = new Set(system);
  const extra: string[] = [];
  for (const { from, path } of sources) {
    const text = await readFile(path, "utf8").catch((error: NodeJS.ErrnoException) => {
      throw new CaCertificatesError(
        `${from} names ${path}, which cannot be read (${error.code ?? error.message})`,
      );
    });
    const found = certificatesIn(text);
    if (!found.length) throw new CaCertificatesError(`${from} names ${path}, which holds no PEM certificate`);
    for (const pem of found) {
      if (known.has(pem)) continue;
      try {
        new X509Certificate(pem);
      } catch {
        throw new CaCertificatesError(`${from} names ${path}, which holds a certificate that does not parse`);
      }
      known.add(pem);
      extra.push(pem);
    }
  }
  return extra;
}

/** The host's extra CA certificates, as its environment names them (none: an empty list). */
export async function hostExtraCertificates(
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<string[]> {
  const sources = caSourcesFromEnvironment(env);
  return sources.length ? extraCertificates(sources, await systemCertificates()) : [];
}

/**
 * The variables pointing a Sandbox's tools at `bundle` (the system's roots and the extras): Node
 * adds it to its roots, OpenSSL, curl, git, Python and npm use it instead of theirs (pure).
 */
export function caBundleEnv(bundle: string): Record<string, string> {
  return {
    NODE_EXTRA_CA_CERTS: bundle,
    SSL_CERT_FILE: bundle,
    CURL_CA_BUNDLE: bundle,
    GIT_SSL_CAINFO: bundle,
    REQUESTS_CA_BUNDLE: bundle,
    PIP_CERT: bundle,
    npm_config_cafile: bundle,
  };
}
