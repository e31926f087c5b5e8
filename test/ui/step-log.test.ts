/**
 * Failures on the inbox's run page, through the real Worker and real run Workflows: a failed
 * verification's line says which checks failed, on the page and in the live stream the page
 * script renders; each step links to what it kept (the verify report, the setup log).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { api, inState, rejectAtClaim, signOff, startRun, uniqueId, waitForRun } from "../run/harness.ts";

beforeAll(signOff);

const text = async (path: string) => {
  const response = await api(path);
  return { status: response.status, body: await response.text() };
};

/** The event stream of a run that is not final stays open: read it until `marker` arrives. */
async function streamUntil(path: string, marker: string): Promise<string> {
  const reader = (await api(path)).body!.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  while (!seen.includes(marker)) {
    const { value, done } = await reader.read();
    if (done) break;
    seen += value;
  }
  await reader.cancel();
  return seen;
}

describe("the run page, for a failure", () => {
  it("shows the failing checks inline and links each step to its log", async () => {
    const id = uniqueId("inbox-failing");
    await using instance = await startRun("loop", id, { buggyRounds: 1 });
    await waitForRun(id, inState("awaitingClaim"));

    const page = await text(`/inbox/runs/${id}`);
    expect(page.body).toMatch(
      /<strong>verify\.failed<\/strong> → fixing<span class="meta">[^<]*<a href="\/inbox\/runs\/[^"]+\/steps\/verify%231" title="what this step kept">verify#1<\/a> · 1 of 1 check failed: no bug: expected no BUG file, got bug from round 1<\/span>/,
    );

    // The live stream carries the same note and link, which the page script renders.
    const stream = { body: await streamUntil(`/inbox/runs/${id}/stream?after=0`, "verify.passed") };
    expect(stream.body).toContain(`"log":"/inbox/runs/${id}/steps/verify%231"`);
    expect(stream.body).toContain(
      '"note":"1 of 1 check failed: no bug: expected no BUG file, got bug from round 1"',
    );

    const report = await text(`/inbox/runs/${id}/steps/verify%231`);
    expect(report.status).toBe(200);
    expect(report.body).toContain('<h2 id="part-0">the verify report</h2>');
    expect(report.body).toMatch(
      /FAIL {2}probe no bug\n {6}expected no BUG file\n {6}got {6}bug from round 1/,
    );

    const setup = await text(`/inbox/runs/${id}/steps/prepare%231`);
    expect(setup.body).toContain("fetching the source and setup");
    expect(setup.body).toContain("$ cp -a workflows/hello-kv/project/.");
    expect(setup.body).not.toMatch(/\/sources\/|\/workspace/);

    expect((await text(`/inbox/runs/${id}/steps/deploy%239`)).status).toBe(404);
    await rejectAtClaim(id, instance);
  }, 30_000);
});
