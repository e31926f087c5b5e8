/**
 * Behind a TLS-inspecting corporate proxy, from inside a real Sandbox (bubblewrap, its own
 * network namespace). The host process has NODE_EXTRA_CA_CERTS naming a throwaway CA (made
 * with openssl, its private key in the same file) and HTTPS_PROXY naming an upstream proxy
 * that demands credentials; the only way the Sandbox can reach the servers signed by that CA is
 * the egress proxy chaining through the upstream one. Node, curl, `npm view` and `npm install`
 * inside trust the CA; the proxy's password, the CA's key and the host's other files stay out
 * of the Sandbox. A Sandbox host not given the CA fails a setup at once, saying why.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer as createHttpServer, request, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  hostNetworkFromEnvironment,
  type StackEgress,
  startStackEgress,
} from "../../../src/local/orchestrator/egress.ts";
import { jobSchema } from "../../../src/jobs/schema.ts";
import type { Sandbox } from "../../../src/ports/sandbox.ts";
import { runSetup } from "../../../src/run/workspace.ts";
import { TLS_HINT } from "../../../src/run/tls-hint.ts";
import { type LocalSandboxes, startLocalSandboxes } from "../../adapters/agent/local-sandbox.ts";

const PROXY_USER = "corp-user";
const PROXY_PASS = `proxy-pass-${process.pid}-9f3e1c`;
const MODEL_KEY = `sk-ant-corp-${process.pid}-77aa`;
const HOST_ONLY = `host-only-marker-${process.pid}`;
const TARBALL_HOST = "registry.corp.test";

let dir: string;
let caKeyLine: string;
let caCert: string;
let tarball: Buffer;
let origin: Server;
let upstream: Server;
const connects: Array<{ target: string; auth: string | undefined }> = [];
let egress: StackEgress;
let sandboxes: LocalSandboxes;
let sandbox: Sandbox;
const saved: Record<string, string | undefined> = {};

const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
const portOf = (server: Server) => {
  const address = server.address();
  return typeof address === "object" && address ? address.port : 0;
};
const open = new Set<Socket>();
const listen = (server: Server) => {
  server.on("connection", (socket: Socket) => {
    open.add(socket);
    socket.on("close", () => open.delete(socket));
  });
  return new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
};

function setEnv(name: string, value: string | undefined) {
  if (!(name in saved)) saved[name] = process.env[name];
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "nightshift-corp-ca-"));
  // A CA as a TLS-inspecting proxy has one, and a server certificate it signed.
  openssl(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "2",
    "-subj",
    "/CN=Nightshift Test Inspecting CA",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  );
  openssl(
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "server.key",
    "-out",
    "server.csr",
    "-subj",
    `/CN=${TARBALL_HOST}`,
  );
  writeFileSync(
    join(dir, "ext.cnf"),
    "subjectAltName=DNS:registry.corp.test,DNS:models.corp.test\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
  );
  openssl(
    "x509",
    "-req",
    "-in",
    "server.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "server.pem",
    "-days",
    "2",
    "-extfile",
    "ext.cnf",
  );
  // A package as npm packs it, for `npm install` from the registry behind the proxy.
  mkdirSync(join(dir, "pkg", "package"), { recursive: true });
  writeFileSync(join(dir, "pkg", "package", "package.json"), '{"name":"tiny-pkg","version":"1.4.2"}\n');
  execFileSync("tar", ["-czf", join(dir, "tiny-pkg.tgz"), "-C", join(dir, "pkg"), "package"]);
  tarball = readFileSync(join(dir, "tiny-pkg.tgz"));
  caCert = readFileSync(join(dir, "ca.pem"), "utf8");
  const caKey = readFileSync(join(dir, "ca.key"), "utf8");
  caKeyLine = caKey.split("\n")[1]!;
  // The file the host's variable names holds the key too: only the certificate may go on.
  writeFileSync(join(dir, "corp-ca.pem"), `${caKey}${caCert}`);
  writeFileSync(join(dir, "host-only.txt"), HOST_ONLY);

  // The servers behind the corporate proxy: a registry and a model API, signed by that CA.
  origin = createHttpsServer(
    { key: readFileSync(join(dir, "server.key")), cert: readFileSync(join(dir, "server.pem")) },
    (req, res) => {
      if (req.url === "/hello") return res.end("hello from behind the inspecting proxy");
      if (req.url === "/tiny-pkg") {
        res.setHeader("content-type", "application/json");
        return res.end(
          JSON.stringify({
            name: "tiny-pkg",
            "dist-tags": { latest: "1.4.2" },
            versions: {
              "1.4.2": {
                name: "tiny-pkg",
                version: "1.4.2",
                dist: {
                  tarball: `https://${TARBALL_HOST}/tiny-pkg/-/tiny-pkg-1.4.2.tgz`,
                  shasum: createHash("sha1").update(tarball).digest("hex"),
                  integrity: `sha512-${createHash("sha512").update(tarball).digest("base64")}`,
                },
              },
            },
          }),
        );
      }
      if (req.url === "/tiny-pkg/-/tiny-pkg-1.4.2.tgz") {
        res.setHeader("content-type", "application/octet-stream");
        return res.end(tarball);
      }
      if (req.url === "/v1/messages")
        return res.end(req.headers["x-api-key"] === MODEL_KEY ? "model: key ok" : "model: no key");
      res.statusCode = 404;
      res.end("not here");
    },
  );
  await listen(origin);
  // The corporate proxy: CONNECT with credentials only, every host resolved to the origin (as
  // a proxy resolves names the client cannot).
  upstream = createHttpServer((_req, res) => {
    res.statusCode = 405;
    res.end();
  });
  upstream.on("connect", (req, client: Socket, head: Buffer) => {
    const auth = req.headers["proxy-authorization"];
    connects.push({ target: req.url ?? "", auth });
    const expected = `Basic ${Buffer.from(`${PROXY_USER}:${PROXY_PASS}`).toString("base64")}`;
    if (auth !== expected) {
      client.end("HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\n\r\n");
      return;
    }
    const socket = connect(portOf(origin), "127.0.0.1", () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      if (head.length) socket.write(head);
      socket.pipe(client);
      client.pipe(socket);
    });
    socket.on("error", () => client.destroy());
    client.on("error", () => socket.destroy());
  });
  await listen(upstream);

  // The host process's own settings, as an operator behind that proxy has them.
  setEnv("NODE_EXTRA_CA_CERTS", join(dir, "corp-ca.pem"));
  setEnv("HTTPS_PROXY", `http://${PROXY_USER}:${PROXY_PASS}@127.0.0.1:${portOf(upstream)}`);
  setEnv("https_proxy", undefined);
  setEnv("NO_PROXY", undefined);
  setEnv("no_proxy", undefined);
  const hostNetwork = await hostNetworkFromEnvironment(process.env);
  egress = await startStackEgress({
    port: 0,
    keys: { ANTHROPIC_API_KEY: MODEL_KEY },
    routes: [
      {
        name: "anthropic",
        upstream: "https://models.corp.test",
        secret: "ANTHROPIC_API_KEY",
        header: "x-api-key",
      },
    ],
    allowHosts: ["registry.corp.test"],
    hostNetwork,
  });
  // The Sandbox host as the local stack starts it: the proxy as the only way out.
  const proxyUrl = egress.proxy.url;
  sandboxes = await startLocalSandboxes("corp-proxy", {
    gateways: [{ port: Number(new URL(proxyUrl).port) }],
    caCertificates: hostNetwork.caCertificates,
    env: {
      HTTPS_PROXY: proxyUrl,
      https_proxy: proxyUrl,
      NO_PROXY: "127.0.0.1,localhost",
      no_proxy: "127.0.0.1,localhost",
    },
  });
  sandbox = await sandboxes.fresh({
    // A client that goes through HTTPS_PROXY and checks TLS against Node's default roots
    // (NODE_EXTRA_CA_CERTS included), as npm and the CLIs do.
    "get.mjs": `
      import http from "node:http"; import https from "node:https"; import tls from "node:tls";
      const proxy = new URL(process.env.HTTPS_PROXY), target = new URL(process.argv[2]);
      http.request({ host: proxy.hostname, port: proxy.port, method: "CONNECT", path: target.hostname + ":443" })
        .on("connect", (res, socket) => {
          if (res.statusCode !== 200) { console.error("CONNECT " + res.statusCode); process.exit(2); }
          https.get(target, { createConnection: () => tls.connect({ socket, servername: target.hostname }) }, (answer) => {
            let body = ""; answer.on("data", (d) => (body += d)); answer.on("end", () => console.log(body));
          }).on("error", (e) => { console.error(e.code || e.message); process.exit(3); });
        })
        .on("error", (e) => { console.error(e.message); process.exit(4); })
        .end();`,
  });
}, 120_000);

afterAll(async () => {
  await sandboxes?.close();
  await egress?.proxy.close();
  for (const socket of open) socket.destroy();
  await new Promise((resolve) => upstream?.close(resolve));
  await new Promise((resolve) => origin?.close(resolve));
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("a Sandbox behind a TLS-inspecting proxy", () => {
  it("reaches a server signed by the host's extra CA from Node, through the egress proxy and the upstream one", async () => {
    const before = connects.length;
    const result = await sandbox.exec(["node", "/workspace/get.mjs", "https://registry.corp.test/hello"]);
    expect(result.stderr).toBe("");
    expect(result.stdout.trim()).toBe("hello from behind the inspecting proxy");
    // The egress proxy chained through the upstream proxy, with the credentials it alone holds.
    expect(connects.slice(before)).toEqual([
      {
        target: "registry.corp.test:443",
        auth: `Basic ${Buffer.from(`${PROXY_USER}:${PROXY_PASS}`).toString("base64")}`,
      },
    ]);
  });

  it("lets curl and npm in the Sandbox trust the CA too", async () => {
    const curl = await sandbox.exec(["curl", "-sS", "https://registry.corp.test/hello"]);
    expect(curl.stderr).toBe("");
    expect(curl.stdout).toBe("hello from behind the inspecting proxy");
    const npm = await sandbox.exec(
      [
        "npm",
        "view",
        "tiny-pkg",
        "version",
        "--registry",
        "https://registry.corp.test/",
        "--fetch-retries",
        "0",
      ],
      { env: { npm_config_update_notifier: "false" } },
    );
    expect(npm.stderr).not.toMatch(/SELF_SIGNED|UNABLE_TO|certificate/i);
    expect(npm.exitCode).toBe(0);
    expect(npm.stdout.trim()).toBe("1.4.2");
    const install = await sandbox.exec(
      "npm install tiny-pkg --registry https://registry.corp.test/ --fetch-retries 0 --no-audit --no-fund",
      { cwd: "/workspace", env: { npm_config_update_notifier: "false" } },
    );
    expect(install.stderr).not.toMatch(/SELF_SIGNED|UNABLE_TO|certificate/i);
    expect(install.exitCode).toBe(0);
    expect(await sandbox.readFile("/workspace/node_modules/tiny-pkg/package.json")).toContain(
      '"version":"1.4.2"',
    );
  });

  it("trusts the CA where the egress proxy opens TLS itself (a model route behind the upstream proxy)", async () => {
    const before = connects.length;
    const result = await sandbox.exec([
      "node",
      "-e",
      `fetch(process.env.HTTPS_PROXY + "/anthropic/v1/messages", { method: "POST", headers: { "x-api-key": "placeholder" }, body: "{}" })
        .then(async (r) => console.log(r.status, await r.text()))`,
    ]);
    expect(result.stdout.trim()).toBe("200 model: key ok");
    expect(connects.slice(before).map((c) => c.target)).toEqual(["models.corp.test:443"]);
  });

  it("shows the Sandbox the CA certificate only: no proxy credentials, no key, no other host file", async () => {
    const env = await sandbox.exec(["env"]);
    expect(env.stdout).toContain("NODE_EXTRA_CA_CERTS=/etc/nightshift/ca-certificates.pem");
    expect(env.stdout).toContain("npm_config_cafile=/etc/nightshift/ca-certificates.pem");
    expect(env.stdout).toContain(`HTTPS_PROXY=${egress.proxy.url}`);
    expect(env.stdout).not.toContain(`:${portOf(upstream)}`);

    const bundle = await sandbox.exec(["cat", "/etc/nightshift/ca-certificates.pem"]);
    expect(bundle.stdout).toContain(caCert.split("\n")[1]);
    expect(bundle.stdout).not.toContain("PRIVATE KEY");
    expect(bundle.stdout).not.toContain(caKeyLine);
    expect((await sandbox.exec(["ls", "-A", "/etc/nightshift"])).stdout).toBe("ca-certificates.pem\n");
    const write = await sandbox.exec(["sh", "-c", "echo x >> /etc/nightshift/ca-certificates.pem"]);
    expect(write.exitCode).not.toBe(0);
    expect((await sandbox.exec(["test", "-e", dir])).exitCode).not.toBe(0);

    // The password, the CA's key and the host-only file are nowhere inside: no file, no
    // process's environment or command line (patterns travel reversed, so the scan's own
    // command line does not match).
    const scan = await sandbox.exec([
      "node",
      "-e",
      `const fs = require("fs"), patterns = ${JSON.stringify([PROXY_PASS, caKeyLine, HOST_ONLY].map((p) => [...p].reverse().join("")))}.map((p) => [...p].reverse().join(""));
      const hits = [];
      const check = (p) => { try { const t = fs.readFileSync(p, "latin1"); for (const x of patterns) if (t.includes(x)) hits.push(p); } catch {} };
      const walk = (d) => { for (const e of fs.readdirSync(d, { withFileTypes: true })) { const p = d + "/" + e.name; if (e.isDirectory()) walk(p); else if (e.isFile()) check(p); } };
      for (const root of ["/workspace", "/home", "/tmp", "/etc", "/opt"]) walk(root);
      for (const pid of fs.readdirSync("/proc").filter((p) => /^[0-9]+$/.test(p))) for (const f of ["environ", "cmdline"]) check("/proc/" + pid + "/" + f);
      console.log(JSON.stringify(hits));`,
    ]);
    expect(scan.stderr).toBe("");
    expect(JSON.parse(scan.stdout)).toEqual([]);
    // Nor in what the egress proxy logged.
    expect(JSON.stringify(egress.proxy.log)).not.toContain(PROXY_PASS);
  });

  it("says at once why a tunnel failed when the upstream proxy refuses, without its credentials", async () => {
    const wrong = await startStackEgress({
      port: 0,
      keys: {},
      allowHosts: ["registry.corp.test"],
      hostNetwork: await hostNetworkFromEnvironment({
        HTTPS_PROXY: `http://${PROXY_USER}:wrong-${PROXY_PASS}@127.0.0.1:${portOf(upstream)}`,
      }),
    });
    try {
      const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const url = new URL(wrong.proxy.url);
        request({ host: url.hostname, port: url.port, method: "CONNECT", path: "registry.corp.test:443" })
          .on("connect", (res, socket, head) => {
            let body = head.toString();
            socket.on("data", (d: Buffer) => (body += d));
            socket.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
          })
          .on("error", reject)
          .end();
      });
      expect(answer.status).toBe(502);
      expect(answer.body).toContain("407");
      expect(answer.body).not.toContain(PROXY_PASS);
      expect(JSON.stringify(wrong.proxy.log)).not.toContain(PROXY_PASS);
    } finally {
      await wrong.proxy.close();
    }
  });

  it("fails a setup on a Sandbox host not given the CAs at once, saying what the error is", async () => {
    // The egress proxy chains as before; only the Sandboxes lack the CA (the state before the fix).
    const plain = await startLocalSandboxes("corp-proxy-no-ca", {
      gateways: [{ port: Number(new URL(egress.proxy.url).port) }],
      env: { HTTPS_PROXY: egress.proxy.url, NO_PROXY: "127.0.0.1,localhost" },
    });
    try {
      const job = jobSchema.parse({
        name: "behind-proxy",
        source: { kind: "directory", path: "workflows/x" },
        setup: ["npm view tiny-pkg version --registry https://registry.corp.test/ --fetch-retries 0"],
        agent: { adapter: "replay", instructions: "x" },
        deploy: { workerName: "x" },
        verify: { probes: [{ path: "/" }] },
      });
      const failure = await runSetup(await plain.fresh(), job);
      expect(failure?.code).toBe("setup_failed");
      expect(failure?.message.startsWith(TLS_HINT)).toBe(true);
      expect(failure?.message).toMatch(
        /UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY|SELF_SIGNED_CERT_IN_CHAIN/,
      );
    } finally {
      await plain.close();
    }
  });
});
