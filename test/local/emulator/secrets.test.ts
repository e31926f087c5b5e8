/**
 * Worker secrets on a temporary account through the unmodified wrangler:
 * `secret put` (value on stdin; before the first deploy it makes a draft
 * Worker, as on Cloudflare), `secret list` (names only), `secret delete`,
 * `secret bulk`, and `versions secret put` (a version, deployed later);
 * each change deploys a new version the Worker serves at once, a redeploy
 * keeps the secret, and the value reaches no log and no API answer.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "smol-toml";
import { beforeAll, expect, test } from "vitest";
import { deployTemporary, type Project, type WranglerRun, wrangler, emulatorForFile } from "./support.ts";

const FIRST = "first-secret-value-7f3a";
const SECOND = "second-secret-value-91bc";
const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

const logLines: string[] = [];
const file = emulatorForFile({ log: (line) => logLines.push(line) });
let project: Project;

beforeAll(() => {
  project = file.fixture("secrets");
});

async function run(args: string[], stdin?: string): Promise<WranglerRun> {
  const out = await wrangler(project, args, file.emu.apiBaseUrl, stdin === undefined ? {} : { stdin });
  if (out.code !== 0)
    throw new Error(`wrangler ${args.join(" ")} failed (exit ${out.code}):\n${out.stdout}\n${out.stderr}`);
  return out;
}

const listSecrets = async () => JSON.parse((await run(["secret", "list", "--temporary"])).stdout) as unknown;

test("secret put, list, delete and bulk: each deploys a new version the Worker sees; values are never shown or logged", async () => {
  // Before any deploy: wrangler makes a draft Worker, then sets the secret on it.
  const put = await run(["secret", "put", "API_KEY", "--temporary"], FIRST);
  expect(put.stdout).toContain("Success! Uploaded secret API_KEY");

  // The deploy keeps it (wrangler sends keep_bindings secret_text).
  const out = await deployTemporary(project, file.emu);
  const worker = file.emu.localUrl(out.workersDevUrl);
  expect(await (await fetch(worker)).json()).toEqual({ set: true, sha256: sha256(FIRST), greeting: "hello" });

  const before = file.emu.requestLog.lastSeq;
  await run(["secret", "put", "API_KEY", "--temporary"], SECOND);
  // No redeploy: the secret change itself deployed a new version.
  expect(await (await fetch(worker)).json()).toEqual({
    set: true,
    sha256: sha256(SECOND),
    greeting: "hello",
  });
  expect(file.emu.requestLog.list({ since: String(before), method: "PUT", path: "/secrets" })).toHaveLength(
    1,
  );

  const versions = await run(["deployments", "list", "--json", "--temporary"]);
  const deployments = JSON.parse(versions.stdout) as { annotations?: Record<string, string> }[];
  expect(deployments.at(-1)?.annotations?.["workers/triggered_by"]).toBe("secret");

  expect(await listSecrets()).toEqual([{ name: "API_KEY", type: "secret_text" }]);
  const { account } = parse(
    readFileSync(join(project.xdg, ".wrangler", "wrangler-temporary-account.toml"), "utf8"),
  ) as { account: { id: string; apiToken: string } };
  const answers: string[] = [];
  for (const path of ["secrets/API_KEY", "settings", "versions"]) {
    const res = await fetch(
      `${file.emu.apiBaseUrl}/accounts/${account.id}/workers/scripts/secret-echo/${path}`,
      {
        headers: { authorization: `Bearer ${account.apiToken}` },
      },
    );
    expect(res.status).toBe(200);
    answers.push(await res.text());
  }
  expect(JSON.parse(answers[0]!).result).toEqual({ name: "API_KEY", type: "secret_text" });

  await run(["secret", "delete", "API_KEY", "--temporary"]);
  expect(await listSecrets()).toEqual([]);
  expect(await (await fetch(worker)).json()).toEqual({ set: false, greeting: "hello" });

  const missing = await wrangler(
    project,
    ["secret", "delete", "API_KEY", "--temporary"],
    file.emu.apiBaseUrl,
  );
  expect(missing.code).not.toBe(0);
  expect(missing.stderr).toContain("Secret API_KEY not found");

  // bulk (JSON on stdin): one new version sets both; the Worker sees API_KEY again.
  const bulk = await run(
    ["secret", "bulk", "--temporary"],
    JSON.stringify({ API_KEY: FIRST, OTHER: SECOND }),
  );
  expect(bulk.stdout).toContain("Successfully created secret for key: OTHER");
  expect(await listSecrets()).toEqual([
    { name: "API_KEY", type: "secret_text" },
    { name: "OTHER", type: "secret_text" },
  ]);
  expect(await (await fetch(worker)).json()).toEqual({ set: true, sha256: sha256(FIRST), greeting: "hello" });

  // A version uploaded but not deployed: a secret edit is refused (10215), as on Cloudflare.
  await run(["versions", "upload", "--temporary"]);
  const blocked = await wrangler(project, ["secret", "put", "OTHER", "--temporary"], file.emu.apiBaseUrl, {
    stdin: FIRST,
  });
  expect(blocked.code).not.toBe(0);
  expect(blocked.stderr).toContain("the latest version of your Worker isn't currently deployed");

  // `versions secret put` makes a version from the newest one without deploying it.
  const staged = await run(["versions", "secret", "put", "API_KEY", "--temporary"], SECOND);
  const versionId = /Created version (\S+) with secret API_KEY/.exec(staged.stdout)?.[1];
  expect(versionId, staged.stdout).toBeDefined();
  expect(await (await fetch(worker)).json()).toMatchObject({ sha256: sha256(FIRST) });
  await run(["versions", "deploy", `${versionId}@100%`, "--yes", "--temporary"]);
  expect(await (await fetch(worker)).json()).toEqual({
    set: true,
    sha256: sha256(SECOND),
    greeting: "hello",
  });

  // The values reached no API answer, nor the emulator's log or its request log.
  const logged = [...answers, ...logLines, JSON.stringify(file.emu.requestLog.list({}))].join("\n");
  expect(logged).toContain("secret API_KEY set on secret-echo");
  for (const value of [FIRST, SECOND]) expect(logged).not.toContain(value);
}, 240_000);
