/**
 * Service bindings between two Workers of one temporary account, deployed by the unmodified
 * wrangler: the caller reaches the other Worker with the URL it asked for, a redeploy of the
 * target is served at once, and a binding to a Worker that is not deployed is refused at deploy.
 */
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type Emulator, startEmulator } from "../../../src/local/emulator/index.ts";
import { copyFixture, deployTemporary, type Project, wrangler } from "./support.ts";

let emu: Emulator;
const projects: Project[] = [];

beforeAll(async () => {
  emu = await startEmulator({ log: () => {} });
});

afterAll(async () => {
  await emu.close();
  rmSync(emu.stateDir, { recursive: true, force: true });
  for (const p of projects) p.remove();
});

/** A fixture deployed with `account`'s wrangler home, so both Workers land in one account. */
function fixtureIn(name: string, account?: Project): Project {
  const project = copyFixture(name);
  projects.push(project);
  return account ? { ...project, home: account.home, xdg: account.xdg } : project;
}

describe("service bindings on the emulator", () => {
  test("a binding to a Worker the account does not have is refused at deploy", async () => {
    const caller = fixtureIn("service-caller");
    const run = await wrangler(caller, ["deploy", "--temporary"], emu.apiBaseUrl);
    expect(run.code).not.toBe(0);
    expect(`${run.stdout}${run.stderr}`).toContain(
      "points at Worker hello-emu, which is not deployed in this account",
    );
  });

  test("one Worker calls another of its account, which sees the URL the caller asked for", async () => {
    const backend = fixtureIn("hello");
    await deployTemporary(backend, emu);
    const caller = fixtureIn("service-caller", backend);
    const out = await deployTemporary(caller, emu);
    const res = await fetch(emu.localUrl(`${out.workersDevUrl}/from-the-caller`));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      status: 200,
      backend: { hello: "world", version: "v1", host: "backend.internal", path: "/ping" },
    });

    // The target's redeploy is what the next call reaches; the caller is not redeployed.
    const source = join(backend.dir, "src", "index.js");
    writeFileSync(source, readFileSync(source, "utf8").replace('"v1"', '"v2"'));
    await deployTemporary(backend, emu);
    const again = await fetch(emu.localUrl(`${out.workersDevUrl}/`));
    expect(await again.json()).toMatchObject({ backend: { version: "v2" } });
  });
});
