/** Which wrangler deploys a project: its own from 4.102.0, nightshift's otherwise, a 3.x pin refused. */
import { describe, expect, it } from "vitest";
import { chooseWrangler, parseVersion } from "../../src/jobs/wrangler-choice.ts";

const FALLBACK = ["node", "/opt/wrangler/bin/wrangler.js"];
const choose = (ownPackage: string | null, projectDir = "/workspace") =>
  chooseWrangler({ projectDir, ownPackage, fallback: FALLBACK });
const pkg = (version: string) => JSON.stringify({ name: "wrangler", version });

describe("chooseWrangler", () => {
  it("uses nightshift's wrangler when the project has none", () => {
    expect(choose(null)).toEqual({
      ok: true,
      argv: FALLBACK,
      why: "nightshift's wrangler: the project has no node_modules/wrangler",
    });
  });

  it("uses the project's own from 4.102.0 on, from the config's directory", () => {
    expect(choose(pkg("4.102.0"), "/workspace/app")).toMatchObject({
      ok: true,
      argv: ["node", "/workspace/app/node_modules/wrangler/bin/wrangler.js"],
      why: expect.stringContaining("the project's own wrangler 4.102.0"),
    });
    expect(choose(pkg("5.0.1"))).toMatchObject({
      ok: true,
      argv: ["node", "/workspace/node_modules/wrangler/bin/wrangler.js"],
    });
  });

  it("uses nightshift's for a 4.x that predates --temporary, saying so", () => {
    expect(choose(pkg("4.101.9"))).toEqual({
      ok: true,
      argv: FALLBACK,
      why: "nightshift's wrangler: the project's own 4.101.9 predates --temporary (4.102.0)",
    });
  });

  it("refuses a project that pins wrangler 3 with what to do", () => {
    expect(choose(pkg("3.114.0"))).toEqual({
      ok: false,
      message:
        "this project pins wrangler 3.114.0; `--temporary` needs wrangler ≥ 4.102: run `npm install -D wrangler@4` in the project",
    });
  });

  it("falls back when the package.json names no version it can read", () => {
    for (const text of ["{", "{}", pkg("latest")])
      expect(choose(text)).toMatchObject({
        ok: true,
        argv: FALLBACK,
        why: expect.stringContaining("names no version"),
      });
  });

  it("reads major.minor.patch, a pre-release as its release", () => {
    expect(parseVersion("4.102.0-beta.1")).toEqual([4, 102, 0]);
    expect(parseVersion("x")).toBeNull();
  });
});
