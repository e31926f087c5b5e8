/**
 * The check of a parsed wrangler config against what a temporary account
 * supports: every unsupported binding with its field and name, the limits a
 * config can show (D1, Hyperdrive, queues, assets), and only the top level.
 */
import { describe, expect, it } from "vitest";
import { temporaryAccountSupport } from "../../src/jobs/temporary-account-support.ts";
import { parseConfig } from "../../src/jobs/worker-config.ts";
import {
  assetsDirectory,
  assetsProblems,
  configSupportProblems,
  describeConfigProblem,
  summariseAssets,
} from "../../src/jobs/worker-config-support.ts";

const SOURCE = `(source: ${temporaryAccountSupport.source.url})`;
const lines = (config: unknown) => configSupportProblems(config).map(describeConfigProblem);

describe("configSupportProblems", () => {
  it("passes a config that asks only for what a temporary account has", () => {
    expect(
      lines({
        name: "w",
        main: "src/index.ts",
        kv_namespaces: [{ binding: "KV" }],
        d1_databases: [{ binding: "DB", database_name: "db" }],
        durable_objects: { bindings: [{ name: "C", class_name: "C" }] },
        assets: { directory: "./public" },
        vars: { A: "1" },
        r2_buckets: [],
      }),
    ).toEqual([]);
  });

  it("names each unsupported binding with its field, its binding and the table's source", () => {
    expect(
      lines({
        r2_buckets: [{ binding: "FILES", bucket_name: "f" }, { binding: "MORE" }],
        ai: { binding: "AI" },
        workflows: [{ binding: "FLOW", name: "flow", class_name: "Flow" }],
        routes: ["example.com/*", { pattern: "api.example.com/*", custom_domain: true }],
        containers: [{ class_name: "Box", image: "./Dockerfile" }],
      }),
    ).toEqual([
      `r2_buckets[0] (binding "FILES"): R2 is not available on a temporary account ${SOURCE}`,
      `r2_buckets[1] (binding "MORE"): R2 is not available on a temporary account ${SOURCE}`,
      `ai (binding "AI"): Workers AI is not available on a temporary account ${SOURCE}`,
      `workflows[0] (binding "FLOW"): Workflows is not available on a temporary account ${SOURCE}`,
      `routes[0] ("example.com/*"): Routes and Custom Domains is not available on a temporary account ${SOURCE}`,
      `routes[1] ("api.example.com/*"): Routes and Custom Domains is not available on a temporary account ${SOURCE}`,
      `containers[0] (class name "Box"): Containers is not available on a temporary account ${SOURCE}`,
    ]);
  });

  it("refuses every key the data file marks unsupported, and no supported one", () => {
    for (const resource of temporaryAccountSupport.resources)
      for (const key of resource.config) {
        const problems = configSupportProblems({ [key]: [{ binding: "X" }] });
        expect(problems.length > 0, key).toBe(!resource.supported);
      }
  });

  it("reads the top level only: an env section is not what the deploy uses", () => {
    expect(lines({ name: "w", env: { production: { r2_buckets: [{ binding: "FILES" }] } } })).toEqual([]);
  });

  it("names the D1 databases and Hyperdrive configs past the limit", () => {
    const problems = lines({
      d1_databases: [{ binding: "A" }, { binding: "B" }],
      hyperdrive: [{ binding: "H1" }, { binding: "H2" }, { binding: "H3" }],
    });
    expect(problems).toHaveLength(2);
    expect(problems[0]).toBe(
      `d1_databases[1] (binding "B"): D1 on a temporary account: one database, up to 100 MB per database and 100 MB total; this config asks for 2 D1 databases ${SOURCE}`,
    );
    expect(problems[1]).toMatch(
      /^hyperdrive\[2\] \(binding "H3"\): Hyperdrive on a temporary account: .* 3 Hyperdrive configs/,
    );
  });

  it("counts distinct queues across producers and consumers against the limit of 10", () => {
    const producers = Array.from({ length: 8 }, (_, i) => ({ binding: `Q${i}`, queue: `q${i}` }));
    const ten = { queues: { producers, consumers: [{ queue: "q0" }, { queue: "q8" }, { queue: "q9" }] } };
    expect(lines(ten)).toEqual([]);
    const eleven = { queues: { producers, consumers: [...ten.queues.consumers, { queue: "q10" }] } };
    expect(lines(eleven)).toEqual([
      expect.stringMatching(
        /^queues: Queues on a temporary account: up to 10 queues; this config asks for 11 distinct queues \(q0, .*q10\)/,
      ),
    ]);
  });

  it("checks a TOML config the same way once parsed", () => {
    const parsed = parseConfig(
      "wrangler.toml",
      'name = "w"\n[[r2_buckets]]\nbinding = "FILES"\nbucket_name = "f"\n',
    );
    expect(parsed.ok && lines(parsed.value)).toEqual([
      `r2_buckets[0] (binding "FILES"): R2 is not available on a temporary account ${SOURCE}`,
    ]);
  });
});

describe("assetsProblems", () => {
  it("finds the assets directory of a config", () => {
    expect(assetsDirectory({ assets: { directory: "./public" } })).toBe("./public");
    expect(assetsDirectory({ assets: { binding: "ASSETS" } })).toBeNull();
    expect(assetsDirectory({})).toBeNull();
  });

  it("passes 1,000 files of 5 MiB, refuses one more file or one byte more", () => {
    const files = Array.from({ length: 1000 }, (_, i) => ({ path: `f${i}.txt`, bytes: 5 * 1024 * 1024 }));
    expect(assetsProblems("public", summariseAssets(files))).toEqual([]);
    const more = assetsProblems("public", summariseAssets([...files, { path: "extra.txt", bytes: 1 }])).map(
      describeConfigProblem,
    );
    expect(more).toEqual([
      expect.stringMatching(/^assets\.directory \("public"\): .*this config asks for 1001 files/),
    ]);
    const big = assetsProblems(
      "public/",
      summariseAssets([{ path: "img/big.png", bytes: 5 * 1024 * 1024 + 1 }]),
    ).map(describeConfigProblem);
    expect(big).toEqual([
      expect.stringMatching(/^assets\.directory \("public\/img\/big\.png"\): .*a file of 5242881 bytes/),
    ]);
  });
});
