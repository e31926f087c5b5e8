/**
 * Reading wrangler's output, in workerd where the deployer runs. The texts are
 * what wrangler 4.156.0 printed against the local emulator (ANSI colours kept).
 */
import { describe, expect, it } from "vitest";
import {
  accountProvenance,
  classifyFailure,
  isTransientFailure,
  parseAccountCache,
  parseDeployRecord,
  parseDeployStdout,
  SECTION_ACCOUNT,
  SECTION_NDJSON,
  splitTrailer,
  TRAILER_MARK,
} from "../../../src/adapters/deploy/wrangler-output.ts";

const E = "\u001b";
const red = (s: string) => `${E}[31m✘ ${E}[41;31m[${E}[41;97mERROR${E}[41;31m]${E}[0m ${E}[1m${s}${E}[0m`;

const CACHE = `[account]
id = "0e93672be05b72bff9caa334a4869200"
name = "Preview Account 03daa6"
expiresAt = "2026-11-23T10:38:08.542Z"

[claim]
url = "http://127.0.0.1:45537/claim/UngoVT5ngiU0zQigeWH36INoR1pEkXQQ"
expiresAt = "2026-11-23T11:38:08.542Z"
`;

const STDOUT = `Total Upload: 0.31 KiB / gzip: 0.23 KiB
Uploaded hello-kv (0.27 sec)
Deployed hello-kv triggers (0.02 sec)
  https://hello-kv.tmp-94071264.workers.dev
Current Version ID: bf4b7322-e144-4561-82d3-026a354db313
`;

describe("wrangler's output", () => {
  it("reads the temporary-account cache, never its token", () => {
    const parsed = parseAccountCache(`${CACHE}\n`);
    expect(parsed).toEqual({
      ok: true,
      value: {
        account: {
          id: "0e93672be05b72bff9caa334a4869200",
          name: "Preview Account 03daa6",
          expiresAt: Date.parse("2026-11-23T10:38:08.542Z"),
        },
        claim: {
          url: "http://127.0.0.1:45537/claim/UngoVT5ngiU0zQigeWH36INoR1pEkXQQ",
          expiresAt: Date.parse("2026-11-23T11:38:08.542Z"),
        },
      },
    });
    const withToken = parseAccountCache(CACHE.replace("[claim]", 'apiToken = "secret"\n[claim]'));
    expect(JSON.stringify(withToken)).not.toContain("secret");
    expect(parseAccountCache(CACHE.replace(/url = .*/, ""))).toMatchObject({
      ok: false,
      message: expect.stringContaining("claim.url"),
    });
    expect(parseAccountCache("not = [toml")).toMatchObject({ ok: false });
  });

  it("splits the wrapper's trailer from wrangler's stdout", () => {
    const ndjson = '{"type":"deploy","worker_name":"hello-kv"}\n';
    const stdout = `${STDOUT}\n${TRAILER_MARK}{"exitCode":0,"wranglerMs":1200}\n${SECTION_NDJSON}\n${ndjson}\n${SECTION_ACCOUNT}\n${CACHE}`;
    const { output, trailer } = splitTrailer(stdout);
    expect(output.trim()).toBe(STDOUT.trim());
    expect(trailer).toEqual({ exitCode: 0, wranglerMs: 1200, ndjson: `${ndjson}\n`, account: CACHE });
    // No cache file (a build error before provisioning): no account section.
    expect(splitTrailer(`${TRAILER_MARK}{"exitCode":1,"wranglerMs":900}\n`).trailer).toEqual({
      exitCode: 1,
      wranglerMs: 900,
      ndjson: null,
      account: null,
    });
    expect(splitTrailer(STDOUT).trailer).toBeNull();
  });

  it("reads the URL and version from the ND-JSON record, and from stdout as a fallback", () => {
    const ndjson = [
      '{"type":"wrangler-session","version":1}',
      '{"type":"deploy","version":1,"worker_name":"hello-kv","version_id":"v-1","targets":["https://hello-kv.tmp-1.workers.dev"]}',
    ].join("\n");
    expect(parseDeployRecord(ndjson)).toEqual({
      workerName: "hello-kv",
      url: "https://hello-kv.tmp-1.workers.dev",
      versionId: "v-1",
    });
    expect(parseDeployStdout(STDOUT)).toEqual({
      url: "https://hello-kv.tmp-94071264.workers.dev",
      versionId: "bf4b7322-e144-4561-82d3-026a354db313",
    });
    expect(accountProvenance("Temporary account ready:\n\tAccount: Preview Account 03daa6 (reused)\n")).toBe(
      "reused",
    );
  });

  it("classifies failures: build error, expired account, refused upload, rate limit, anything else", () => {
    const build = `${red("Build failed with 1 error:")}\n\n  ${red("Expected identifier but found end of file")}\n  \n      src/index.ts:1:26:\n        1 │ export default { fetch( {\n`;
    expect(classifyFailure(build)).toEqual({
      code: "build_error",
      message: "Build failed with 1 error: src/index.ts:1:26: Expected identifier but found end of file",
    });
    const expired = `${red("A request to the Cloudflare API (/accounts/0e9/workers/services/hello-kv) failed.")}\n\n  Authentication error [code: 10000]\n\n\n${red("A request to the Cloudflare API (/user) failed.")}\n`;
    expect(classifyFailure(expired).code).toBe("account_expired");
    const upload = `${red("A request to the Cloudflare API (/accounts/0e9/workers/scripts/hello-kv/versions) failed.")}\n\n  Uncaught error at script startup (code 10021): boom [code: 10021]\n\n  If you think this is a bug…\n`;
    expect(classifyFailure(upload)).toEqual({
      code: "upload_rejected",
      message:
        "/accounts/0e9/workers/scripts/hello-kv/versions was refused: Uncaught error at script startup (code 10021): boom [code: 10021]",
    });
    expect(
      classifyFailure(red("Failed to create a temporary preview account (429 Too Many Requests).")).code,
    ).toBe("rate_limited");
    expect(classifyFailure(`${red("Something else entirely")}\n`)).toEqual({
      code: "deploy_failed",
      message: "Something else entirely",
    });
  });
});

describe("which failures are worth trying again", () => {
  it("takes 5xx, 429 and dropped connections as transient, refusals and build errors not", () => {
    expect(
      isTransientFailure(red("Failed to create a temporary preview account (500 Internal Server Error).")),
    ).toBe(true);
    expect(
      isTransientFailure(red("Failed to request a proof-of-work challenge (503 Service Unavailable).")),
    ).toBe(true);
    expect(
      isTransientFailure(
        `${red("A request to the Cloudflare API (/accounts/a1/workers/scripts/w) failed.")}\n\n  Injected fault: HTTP 500 [code: 10002]`,
      ),
    ).toBe(true);
    expect(isTransientFailure(red("fetch failed"))).toBe(true);
    expect(isTransientFailure("Error: read ECONNRESET")).toBe(true);
    expect(
      isTransientFailure(red("Failed to create a temporary preview account (429 Too Many Requests).")),
    ).toBe(true);

    expect(
      isTransientFailure(
        `${red("A request to the Cloudflare API (/accounts/a1/workers/scripts/w) failed.")}\n\n  Uncaught Error: boom [code: 10021]`,
      ),
    ).toBe(false);
    expect(isTransientFailure(red("Authentication error [code: 10000]"))).toBe(false);
    expect(isTransientFailure(red("Failed to create a temporary preview account (400 Bad Request)."))).toBe(
      false,
    );
    expect(isTransientFailure(`${red("Build failed with 1 error:")}\nfetch failed`)).toBe(false);
  });
});
