/**
 * Service bindings between two Workers of one temporary account, deployed by the unmodified
 * wrangler: the caller reaches the other Worker with the URL it asked for, a redeploy of the
 * target is served at once, and a binding to a Worker that is not deployed is refused at deploy.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { deployTemporary, type Project, wrangler, emulatorForFile } from "./support.ts";

const file = emulatorForFile();

/** A fixture deployed with `account`'s wrangler home, so both Workers land in one account. */
function fixtureIn(name: string, account?: Project): Project {
  const project = file.fixture(name);
  return account ? { ...project, home: account.home, xdg: account.xdg } : project;
}

describe("service bindings on the emulator", () => {
  test("a binding to a Worker the account does not have is refused at deploy", async () => {
    const caller = fixtureIn("service-caller");
    const run = await wrangler(caller, ["deploy", "--temporary"], file.emu.apiBaseUrl);
    expect(run.code).not.toBe(0);
    expect(`${run.stdout}${run.stderr}`).toContain(
      "points at Worker hello-emu, which is not deployed in this account",
    );
  });

  test("one Worker calls another of its account, which sees the URL the caller asked for", async () => {
    const backend = fixtureIn("hello");
    await deployTemporary(backend, file.emu);
    const caller = fixtureIn("service-caller", backend);
    const out = await deployTemporary(caller, file.emu);
    const res = await fetch(file.emu.localUrl(`${out.workersDevUrl}/from-the-caller`));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      status: 200,
      backend: { hello: "world", version: "v1", host: "backend.internal", path: "/ping" },
    });

    // The target's redeploy is what the next call reaches; the caller is not redeployed.
    const source = join(backend.dir, "src", "index.js");
    writeFileSync(source, readFileSync(source, "utf8").replace('"v1"', '"v2"'));
    await deployTemporary(backend, file.emu);
    const again = await fetch(file.emu.localUrl(`${out.workersDevUrl}/`));
    expect(await again.json()).toMatchObject({ backend: { version: "v2" } });
  });
});
