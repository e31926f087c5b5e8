/** Which jobs a delivery is for: facts read from real GitHub payloads, filters matched against them. */
import examples from "@octokit/webhooks-examples";
import { describe, expect, it } from "vitest";
import { githubFacts, matchesFilter, standardFacts } from "../../src/triggers/filters.ts";

const example = (name: string, pick: (e: Record<string, unknown>) => boolean = () => true) =>
  (examples.find((d) => d.name === name)!.examples as unknown as Record<string, unknown>[]).find(pick)!;

describe("GitHub facts", () => {
  it("reads a push to a branch, and no branch from a tag push", () => {
    const branch = githubFacts(
      "push",
      example("push", (e) => e.ref === "refs/heads/master"),
    );
    expect(branch).toMatchObject({
      event: "push",
      repository: "Codertocat/Hello-World",
      branches: ["master"],
    });
    const tag = githubFacts(
      "push",
      example("push", (e) => e.ref === "refs/tags/simple-tag"),
    );
    expect(tag.branches).toEqual([]);
  });

  it("reads the label just added, and a pull request's base branch", () => {
    expect(
      githubFacts(
        "issues",
        example("issues", (e) => e.action === "labeled"),
      ),
    ).toMatchObject({
      action: "labeled",
      labels: ["bug"],
    });
    expect(
      githubFacts(
        "pull_request",
        example("pull_request", (e) => e.action === "opened"),
      ),
    ).toMatchObject({
      action: "opened",
      branches: ["master"],
    });
  });
});

describe("filters", () => {
  const push = githubFacts(
    "push",
    example("push", (e) => e.ref === "refs/heads/master"),
  );

  it.each([
    [undefined, true],
    [{ event: "push" }, true],
    [{ event: "pull_request" }, false],
    [{ event: "push", branch: "master" }, true],
    [{ branch: "main" }, false],
    [{ branch: "mas*" }, true],
    [{ repository: "codertocat/hello-world" }, true],
    [{ repository: "codertocat/*" }, true],
    [{ repository: "other/*" }, false],
    [{ action: "opened" }, false],
    [{ label: "bug" }, false],
  ])("%j matches a push to master: %s", (filter, expected) => {
    expect(matchesFilter(filter, push)).toBe(expected);
  });

  it("matches globs within a path segment with *, across segments with **", () => {
    const facts = { ...push, branches: ["release/2026/08"] };
    expect(matchesFilter({ branch: "release/*" }, facts)).toBe(false);
    expect(matchesFilter({ branch: "release/**" }, facts)).toBe(true);
  });

  it("reads a Standard Webhooks event from the payload's type", () => {
    const facts = standardFacts({ type: "deploy.requested", data: {} });
    expect(matchesFilter({ event: "deploy.requested" }, facts)).toBe(true);
    expect(matchesFilter({ event: "deploy.*" }, facts)).toBe(true);
    expect(matchesFilter({ event: "build.requested" }, standardFacts("not an object"))).toBe(false);
  });
});
