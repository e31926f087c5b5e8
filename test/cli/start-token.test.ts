/**
 * `nightshift start`'s API token: NIGHTSHIFT_TOKEN when set (and then no file is written, so the
 * start-up notice must not point at one), else a token made once and kept in the state directory.
 */
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { apiToken, tokenSource } from "../../src/cli/commands/start.ts";

let stateDir: string;
beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "nightshift-token-"));
});
afterEach(async () => {
  await rm(stateDir, { recursive: true, force: true });
});

describe("the start-up token", () => {
  it("uses NIGHTSHIFT_TOKEN, writes no file, and says it came from the environment", async () => {
    expect(await apiToken(stateDir, "from-env-token")).toBe("from-env-token");
    await expect(stat(join(stateDir, "token"))).rejects.toMatchObject({ code: "ENOENT" });
    const notice = tokenSource(stateDir, true);
    expect(notice.where).toMatch(/NIGHTSHIFT_TOKEN/);
    expect(notice.where).not.toContain(join(stateDir, "token"));
    expect(notice.hint).toBe("$NIGHTSHIFT_TOKEN");
  });

  it("otherwise makes a token once, keeps it 0600 in the state directory, and points there", async () => {
    const first = await apiToken(stateDir, undefined);
    expect(first).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(await apiToken(stateDir, undefined)).toBe(first);
    const file = join(stateDir, "token");
    expect((await readFile(file, "utf8")).trim()).toBe(first);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(tokenSource(stateDir, false)).toEqual({
      where: `stored in ${file} (or set NIGHTSHIFT_TOKEN)`,
      hint: `$(cat ${file})`,
    });
  });
});
