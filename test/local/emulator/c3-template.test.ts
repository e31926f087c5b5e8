/**
 * Acceptance: a Worker project shaped like create-cloudflare's TypeScript
 * "Hello World" template (src/index.ts, wrangler.jsonc with $schema,
 * observability, nodejs_compat and a compatibility date newer than the
 * emulator's runtime) deploys unmodified and answers as it does under
 * `wrangler dev`.
 */
import { rmSync } from "node:fs";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { type Emulator, startEmulator } from "../../../src/local/emulator/index.ts";
import { copyFixture, deployTemporary, type Project, REPO, wranglerEnv } from "./support.ts";

let emu: Emulator;
let project: Project;

beforeAll(async () => {
  emu = await startEmulator({ log: () => {} });
  project = copyFixture("c3-hello-ts");
});
afterAll(async () => {
  await emu.close();
  rmSync(emu.stateDir, { recursive: true, force: true });
  project.remove();
});

interface Answer {
  status: number;
  contentType: string | null;
  body: string;
}

async function answer(url: string): Promise<Answer> {
  const res = await fetch(url);
  return { status: res.status, contentType: res.headers.get("content-type"), body: await res.text() };
}

/** Starts `wrangler dev` on the project, fetches `/`, and stops it (its whole process group). */
async function answerUnderWranglerDev(): Promise<Answer> {
  const child = spawn(
    process.execPath,
    [join(REPO, "node_modules", "wrangler", "bin", "wrangler.js"), "dev", "--ip", "127.0.0.1", "--port", "0"],
    {
      cwd: project.dir,
      env: wranglerEnv(project, emu.apiBaseUrl),
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    },
  );
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = "";
      const onData = (chunk: Buffer) => {
        out += chunk.toString();
        const m = /Ready on (http:\/\/[\d.]+:\d+)/.exec(out);
        if (m) resolve(m[1]!);
      };
      child.stdout.on("data", onData);
      child.stderr.on("data", onData);
      child.on("close", (code) => reject(new Error(`wrangler dev exited (${code}):\n${out}`)));
    });
    return await answer(`${url}/`);
  } finally {
    if (child.pid) process.kill(-child.pid, "SIGTERM");
  }
}

test("the create-cloudflare TypeScript hello-world Worker deploys unmodified and answers as under wrangler dev", async () => {
  const out = await deployTemporary(project, emu);
  expect(out.workersDevUrl).toMatch(/^https:\/\/c3-hello-ts\.tmp-[0-9a-f]{8}\.workers\.dev$/);
  const deployed = await answer(emu.localUrl(`${out.workersDevUrl}/`));
  expect(deployed).toEqual({ status: 200, contentType: "text/plain;charset=UTF-8", body: "Hello World!" });
  expect(deployed).toEqual(await answerUnderWranglerDev());
});
