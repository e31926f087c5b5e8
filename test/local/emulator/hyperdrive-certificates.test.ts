/**
 * Hyperdrive and SSL/TLS certificates on a temporary account, with the unmodified wrangler:
 * `hyperdrive create|list|delete`, the two-config limit, `cert upload|list|delete`, and a
 * deployed Worker whose `hyperdrive` and `mtls_certificates` bindings are there.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { deployTemporary, type Project, wrangler, emulatorForFile } from "./support.ts";

const file = emulatorForFile();
let project: Project;
const run = (...args: string[]) => wrangler(project, [...args, "--temporary"], file.emu.apiBaseUrl);
const output = (r: { stdout: string; stderr: string }) => `${r.stdout}\n${r.stderr}`;
/** `wrangler hyperdrive create <name>` for a Postgres database of that name on this machine. */
const createHyperdrive = (name: string, password: string) =>
  run("hyperdrive", "create", name, `--connection-string=postgres://app:${password}@127.0.0.1:5432/${name}`);

beforeAll(() => {
  project = file.fixture("hyperdrive");
});

describe("Hyperdrive and certificates on a temporary account", () => {
  let hyperdriveId = "";
  let certificateId = "";

  test("hyperdrive create, list and delete; the third config is refused with the limit named", async () => {
    const created = await createHyperdrive("orders", "s3cret");
    expect(created.code, output(created)).toBe(0);
    hyperdriveId = /"id": "([0-9a-f]{32})"/.exec(output(created))?.[1] ?? "";
    expect(hyperdriveId).not.toBe("");
    // The answer never carries the origin's password.
    expect(output(created)).not.toContain("s3cret");

    const listed = await run("hyperdrive", "list");
    expect(listed.code, output(listed)).toBe(0);
    expect(output(listed)).toContain(hyperdriveId);
    expect(output(listed)).toContain("orders");

    const second = await createHyperdrive("users", "pw");
    expect(second.code, output(second)).toBe(0);
    const third = await createHyperdrive("events", "pw");
    expect(third.code).not.toBe(0);
    expect(output(third)).toContain("at most 2 Hyperdrive configs");
    const usersId = /"id": "([0-9a-f]{32})"/.exec(output(second))?.[1] ?? "";
    const deleted = await run("hyperdrive", "delete", usersId);
    expect(deleted.code, output(deleted)).toBe(0);
    // With one gone, there is room again.
    const again = await createHyperdrive("events", "pw");
    expect(again.code, output(again)).toBe(0);
  });

  test("cert upload, list and delete; a key that does not match is refused", async () => {
    const dir = project.tmp;
    const pem = (name: string) => join(dir, name);
    for (const name of ["a", "b"]) {
      execFileSync(
        "openssl",
        [
          "req",
          "-x509",
          "-newkey",
          "ec",
          "-pkeyopt",
          "ec_paramgen_curve:P-256",
          "-nodes",
          "-days",
          "2",
          "-subj",
          `/CN=client-${name}`,
          "-keyout",
          pem(`${name}.key`),
          "-out",
          pem(`${name}.crt`),
        ],
        { stdio: "ignore" },
      );
    }
    const mismatched = await run(
      "cert",
      "upload",
      "mtls-certificate",
      "--cert",
      pem("a.crt"),
      "--key",
      pem("b.key"),
      "--name",
      "wrong",
    );
    expect(mismatched.code).not.toBe(0);
    expect(output(mismatched)).toContain("does not match the certificate");

    const uploaded = await run(
      "cert",
      "upload",
      "mtls-certificate",
      "--cert",
      pem("a.crt"),
      "--key",
      pem("a.key"),
      "--name",
      "client-a",
    );
    expect(uploaded.code, output(uploaded)).toBe(0);
    certificateId = /ID: ([0-9a-f-]{36})/.exec(output(uploaded))?.[1] ?? "";
    expect(certificateId).not.toBe("");
    const listed = await run("cert", "list");
    expect(listed.code, output(listed)).toBe(0);
    expect(output(listed)).toContain("client-a");
    expect(output(listed)).toContain(certificateId);
    expect(output(listed)).not.toContain("PRIVATE KEY");

    const other = await run(
      "cert",
      "upload",
      "mtls-certificate",
      "--cert",
      pem("b.crt"),
      "--key",
      pem("b.key"),
      "--name",
      "client-b",
    );
    expect(other.code, output(other)).toBe(0);
    const deleted = await run("cert", "delete", "--name", "client-b");
    expect(deleted.code, output(deleted)).toBe(0);
    expect(output(deleted)).toMatch(/Deleted certificate [0-9a-f-]{36} \(client-b\) successfully/);
  });

  test("a deployed Worker has its Hyperdrive and mTLS bindings", async () => {
    const config = join(project.dir, "wrangler.jsonc");
    writeFileSync(
      config,
      readFileSync(config, "utf8")
        .replace("HYPERDRIVE_ID", hyperdriveId)
        .replace("CERTIFICATE_ID", certificateId),
    );
    const out = await deployTemporary(project, file.emu);
    const res = await fetch(file.emu.localUrl(out.workersDevUrl));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      user: "app",
      database: "orders",
      hasConnectionString: true,
      certFetch: "function",
    });
  });
});
