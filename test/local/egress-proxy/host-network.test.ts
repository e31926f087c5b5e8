/**
 * The pure parts of running behind a corporate proxy: which proxy a target goes through
 * (NO_PROXY, loopback), what of a proxy URL may be shown, which CA files an environment names,
 * and that only certificate blocks are ever taken from them.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  proxyAuthorization,
  proxyFor,
  proxyLabel,
  UpstreamProxyError,
  upstreamFromEnvironment,
} from "../../../src/local/egress-proxy/upstream.ts";
import {
  CaCertificatesError,
  caSourcesFromEnvironment,
  certificatesIn,
  extraCertificates,
} from "../../../src/local/host-trust.ts";

describe("the upstream proxy from the environment", () => {
  it("is none without HTTPS_PROXY or HTTP_PROXY", () => {
    expect(upstreamFromEnvironment({ NO_PROXY: "x" })).toBeNull();
  });

  it("uses HTTP_PROXY for https targets when HTTPS_PROXY is unset, as npm does", () => {
    const upstream = upstreamFromEnvironment({ http_proxy: "proxy.corp:3128" });
    expect(upstream?.https?.href).toBe("http://proxy.corp:3128/");
    expect(proxyFor(upstream, "https", "registry.npmjs.org", 443)?.host).toBe("proxy.corp:3128");
  });

  it("goes direct for NO_PROXY hosts, domains, ports, `*` and loopback", () => {
    const upstream = upstreamFromEnvironment({
      HTTPS_PROXY: "http://proxy.corp:3128",
      NO_PROXY: "internal.corp, .lan,*.dev.corp,api.example:8443",
    });
    const via = (host: string, port = 443) => proxyFor(upstream, "https", host, port)?.host ?? "direct";
    expect(via("internal.corp")).toBe("direct");
    expect(via("git.internal.corp")).toBe("direct");
    expect(via("printer.lan")).toBe("direct");
    expect(via("x.dev.corp")).toBe("direct");
    expect(via("api.example", 8443)).toBe("direct");
    expect(via("api.example")).toBe("proxy.corp:3128");
    expect(via("notinternal.corp")).toBe("proxy.corp:3128");
    expect(via("127.0.0.1")).toBe("direct");
    expect(via("localhost")).toBe("direct");
    expect(
      proxyFor(upstreamFromEnvironment({ HTTPS_PROXY: "http://p:1", NO_PROXY: "*" }), "https", "a.b", 443),
    ).toBeNull();
  });

  it("keeps credentials for the Proxy-Authorization header only", () => {
    const proxy = upstreamFromEnvironment({ HTTPS_PROXY: "http://me%40corp:s3cr%3At@proxy.corp:8080" })!
      .https!;
    expect(proxyLabel(proxy)).toBe("http://proxy.corp:8080");
    expect(proxyAuthorization(proxy)).toBe(`Basic ${Buffer.from("me@corp:s3cr:t").toString("base64")}`);
  });

  it("names the variable, not its value (which may hold a password), when it is no proxy URL", () => {
    let error: unknown;
    try {
      upstreamFromEnvironment({ HTTPS_PROXY: "socks5://user:hunter2@proxy:1080" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UpstreamProxyError);
    expect((error as Error).message).toBe("HTTPS_PROXY is not an http:// or https:// proxy URL");
  });
});

// A certificate block as PEM (64 columns): its content need not parse for the pure extraction.
const certA = `-----BEGIN CERTIFICATE-----\n${"QUFB".repeat(16)}\nQUFB\n-----END CERTIFICATE-----\n`;
const KEY = "-----BEGIN PRIVATE KEY-----\nS0VZS0VZS0VZ\n-----END PRIVATE KEY-----\n";

describe("the host's extra CA certificates", () => {
  it("are read from nightshift's variable, Node's, OpenSSL's and npm's, each file once", () => {
    expect(
      caSourcesFromEnvironment({
        NODE_EXTRA_CA_CERTS: "/a.pem",
        SSL_CERT_FILE: "/a.pem",
        npm_config_cafile: "/b.pem",
        NIGHTSHIFT_CA_CERTS: "/c.pem",
      }),
    ).toEqual([
      { from: "NIGHTSHIFT_CA_CERTS", path: "/c.pem" },
      { from: "NODE_EXTRA_CA_CERTS", path: "/a.pem" },
      { from: "npm_config_cafile", path: "/b.pem" },
    ]);
  });

  it("keep certificate blocks only: a private key in the same file is dropped", () => {
    expect(certificatesIn(`${KEY}junk\n${certA}`)).toEqual([certA]);
    expect(certificatesIn(KEY)).toEqual([]);
  });

  it("refuse a file that cannot be read or holds no certificate, naming the variable", async () => {
    const dir = mkdtempSync(join(tmpdir(), "nightshift-ca-"));
    try {
      writeFileSync(join(dir, "key.pem"), KEY);
      await expect(
        extraCertificates([{ from: "NODE_EXTRA_CA_CERTS", path: join(dir, "key.pem") }], []),
      ).rejects.toThrow(
        new CaCertificatesError(
          `NODE_EXTRA_CA_CERTS names ${join(dir, "key.pem")}, which holds no PEM certificate`,
        ),
      );
      await expect(
        extraCertificates([{ from: "SSL_CERT_FILE", path: join(dir, "none.pem") }], []),
      ).rejects.toThrow(/SSL_CERT_FILE names .*none\.pem, which cannot be read \(ENOENT\)/);
      // Already among the system's roots: nothing extra to give a Sandbox.
      writeFileSync(join(dir, "a.pem"), certA);
      await expect(extraCertificates([{ from: "X", path: join(dir, "a.pem") }], [certA])).resolves.toEqual(
        [],
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
