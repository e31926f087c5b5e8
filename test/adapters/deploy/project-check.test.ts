/** The deploy step's plan for a project as read from its Sandbox: which wrangler, or every problem. */
import { describe, expect, it } from "vitest";
import { planDeploy, projectDirOf } from "../../../src/adapters/deploy/project-check.ts";

const FALLBACK = ["wrangler"];

describe("planDeploy", () => {
  it("says which wrangler runs and why", () => {
    expect(
      planDeploy({ config: '{ "name": "w" }', ownWrangler: null }, "wrangler.jsonc", FALLBACK, true),
    ).toEqual({
      ok: true,
      value: {
        wrangler: FALLBACK,
        notes: ["# wrangler: nightshift's wrangler: the project has no node_modules/wrangler"],
      },
    });
  });

  it("lists every problem: unsupported bindings with file and field, and a wrangler 3 pin", () => {
    const plan = planDeploy(
      { config: '{ "r2_buckets": [{ "binding": "FILES" }] }', ownWrangler: '{ "version": "3.114.0" }' },
      "app/wrangler.jsonc",
      FALLBACK,
      true,
    );
    expect(plan).toMatchObject({
      ok: false,
      error: {
        code: "unsupported_config",
        problems: [
          expect.stringMatching(
            /^app\/wrangler\.jsonc: r2_buckets\[0\] \(binding "FILES"\): R2 is not available/,
          ),
          expect.stringContaining("this project pins wrangler 3.114.0"),
        ],
      },
    });
  });

  it("counts the assets directory as read in the Sandbox", () => {
    const config = '{ "assets": { "directory": "public" } }';
    const plan = planDeploy(
      { config, ownWrangler: null, assets: { files: 1001, large: [] } },
      "wrangler.jsonc",
      FALLBACK,
      true,
    );
    expect(plan).toMatchObject({
      ok: false,
      error: {
        problems: [expect.stringMatching(/^wrangler\.jsonc: assets\.directory \("public"\): .*1001 files/)],
      },
    });
    expect(planDeploy({ config, ownWrangler: null, assets: null }, "wrangler.jsonc", FALLBACK, true).ok).toBe(
      true,
    );
  });

  it("leaves a config that does not parse, or none, to wrangler; skips the support check when promoting", () => {
    expect(planDeploy({ config: "{", ownWrangler: null }, "wrangler.jsonc", FALLBACK, true).ok).toBe(true);
    expect(planDeploy({ config: null, ownWrangler: null }, "wrangler.jsonc", FALLBACK, true).ok).toBe(true);
    const r2 = { config: '{ "r2_buckets": [{ "binding": "FILES" }] }', ownWrangler: null };
    expect(planDeploy(r2, "wrangler.jsonc", FALLBACK, false).ok).toBe(true);
  });

  it("finds the project's directory from the config path", () => {
    expect(projectDirOf("wrangler.jsonc")).toBe("/workspace");
    expect(projectDirOf("./wrangler.jsonc")).toBe("/workspace");
    expect(projectDirOf("app/wrangler.toml")).toBe("/workspace/app");
    expect(projectDirOf("/workspace/app/wrangler.toml")).toBe("/workspace/app");
  });
});
