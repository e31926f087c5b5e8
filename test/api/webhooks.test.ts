import { env, exports } from "cloudflare:workers";
import { sign } from "@octokit/webhooks-methods";
import examples from "@octokit/webhooks-examples";
import { Webhook } from "standardwebhooks";
import { beforeAll, describe, expect, it } from "vitest";
import { getDelivery } from "../../src/store/deliveries.ts";
import { listEvents } from "../../src/store/events.ts";
import { getRun, listRuns } from "../../src/store/runs.ts";
import { webhookRunId } from "../../src/triggers/run-ids.ts";
import { api, inState, rejectAtClaim, signOff, uniqueId, waitForRun, watchRun } from "../run/harness.ts";

beforeAll(signOff);

const GITHUB_SECRET = "gh-test-secret"; // test/support/wrangler.test.jsonc
const ACME_OLD = "whsec_YWNtZS1vbGQta2V5LTAxMjM0NTY3ODlhYmNkZWZnaGlq";
const ACME_NEW = "whsec_YWNtZS1uZXcta2V5LTAxMjM0NTY3ODlhYmNkZWZnaGlq";

type Json = Record<string, unknown>;
const example = (name: string, pick: (e: Json) => boolean): Json =>
  structuredClone((examples.find((d) => d.name === name)!.examples as unknown as Json[]).find(pick)!);
const pushToMaster = () => example("push", (e) => e.ref === "refs/heads/master");
const issueLabeled = () => example("issues", (e) => e.action === "labeled");
const prOpened = () => example("pull_request", (e) => e.action === "opened");

interface Answer {
  status: number;
  body: {
    runs?: Array<{ job: string; runId: string; outcome: string; reason?: string }>;
    redelivery?: boolean;
    error?: { code: string; message: string; path?: string; job?: string };
  };
}

async function post(path: string, body: string, headers: Record<string, string>): Promise<Answer> {
  const response = await exports.default.fetch(
    new Request(`http://nightshift.test${path}`, {
      method: "POST",
      body,
      headers: { "content-type": "application/json", ...headers },
    }),
  );
  return { status: response.status, body: (await response.json()) as Answer["body"] };
}

async function github(
  event: string,
  payload: unknown,
  options: { delivery?: string; secret?: string; tamper?: (body: string) => string } = {},
): Promise<Answer> {
  const body = JSON.stringify(payload);
  const signature = await sign(options.secret ?? GITHUB_SECRET, body);
  return post("/webhooks/github", options.tamper ? options.tamper(body) : body, {
    "x-github-event": event,
    "x-github-delivery": options.delivery ?? crypto.randomUUID(),
    "x-hub-signature-256": signature,
  });
}

async function acme(
  payload: unknown,
  options: { id?: string; secrets?: string[]; at?: Date; tamper?: (body: string) => string } = {},
): Promise<Answer> {
  const body = JSON.stringify(payload);
  const id = options.id ?? `msg_${uniqueId("acme")}`;
  const at = options.at ?? new Date();
  const signatures = (options.secrets ?? [ACME_NEW]).map((s) => new Webhook(s).sign(id, at, body)).join(" ");
  return post("/webhooks/acme", options.tamper ? options.tamper(body) : body, {
    "webhook-id": id,
    "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
    "webhook-signature": signatures,
  });
}

/** Watches the run a delivery will start (its id is derived), so the test can end it cleanly. */
async function expectRun(job: string, source: string, delivery: string) {
  const id = await webhookRunId(job, source, delivery);
  return { id, instance: await watchRun(id) };
}

const finish = rejectAtClaim;

const runCount = async () => (await listRuns(env.DB, { limit: 500 })).length;

describe("POST /webhooks/github", () => {
  it("starts one run for a signed push, with the input the job maps, and records the delivery", async () => {
    const delivery = crypto.randomUUID();
    const { id, instance } = await expectRun("gh-push", "github", delivery);
    await using _ = instance;
    const answer = await github("push", pushToMaster(), { delivery });
    expect(answer.status).toBe(202);
    expect(answer.body.runs).toEqual([{ job: "gh-push", runId: id, outcome: "started" }]);
    const run = await getRun(env.DB, id);
    expect(run).toMatchObject({ job: "gh-push", trigger: "webhook" });
    expect(run?.input_json).toMatchObject({
      ref: "refs/heads/master",
      repo: "Codertocat/Hello-World",
      delivery,
    });
    const started = (await listEvents(env.DB, id)).find((e) => e.type === "run.started");
    expect(started?.data_json).toMatchObject({ source: "github", deliveryId: delivery, event: "push" });
    expect(started?.actor).toBe("webhook:github");
    expect(await getDelivery(env.DB, "github", delivery)).toMatchObject({
      event: "push",
      runs_json: answer.body.runs,
    });
    await finish(id, instance);
  });

  it("answers a redelivery with the same run, 200, and starts nothing new", async () => {
    const delivery = crypto.randomUUID();
    const { id, instance } = await expectRun("gh-push", "github", delivery);
    await using _ = instance;
    const first = await github("push", pushToMaster(), { delivery });
    const before = await runCount();
    const again = await github("push", pushToMaster(), { delivery });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ redelivery: true, runs: first.body.runs });
    expect(await runCount()).toBe(before);
    await finish(id, instance);
  });

  it("starts one run when the same delivery arrives twice at once", async () => {
    const delivery = crypto.randomUUID();
    const { id, instance } = await expectRun("gh-push", "github", delivery);
    await using _ = instance;
    const answers = await Promise.all([
      github("push", pushToMaster(), { delivery }),
      github("push", pushToMaster(), { delivery }),
    ]);
    for (const a of answers) expect(a.body.runs?.map((r) => r.runId)).toEqual([id]);
    expect((await listRuns(env.DB, { job: "gh-push", limit: 500 })).filter((r) => r.id === id)).toHaveLength(
      1,
    );
    await finish(id, instance);
  });

  it("passes the payload through for a job without a mapping (issue labelled)", async () => {
    const delivery = crypto.randomUUID();
    const { id, instance } = await expectRun("gh-labeled", "github", delivery);
    await using _ = instance;
    const answer = await github("issues", issueLabeled(), { delivery });
    expect(answer.body.runs).toEqual([{ job: "gh-labeled", runId: id, outcome: "started" }]);
    expect((await getRun(env.DB, id))?.input_json).toMatchObject({
      webhook: { source: "github", event: "issues", deliveryId: delivery },
      payload: { action: "labeled", label: { name: "bug" } },
    });
    await finish(id, instance);
  });

  it("accepts GitHub's form-encoded content type", async () => {
    const delivery = crypto.randomUUID();
    const { id, instance } = await expectRun("gh-labeled", "github", delivery);
    await using _ = instance;
    const body = new URLSearchParams({ payload: JSON.stringify(issueLabeled()) }).toString();
    const answer = await post("/webhooks/github", body, {
      "content-type": "application/x-www-form-urlencoded",
      "x-github-event": "issues",
      "x-github-delivery": delivery,
      "x-hub-signature-256": await sign(GITHUB_SECRET, body),
    });
    expect(answer.status).toBe(202);
    expect(answer.body.runs?.[0]?.runId).toBe(id);
    await finish(id, instance);
  });

  it.each([
    ["a tampered body", { tamper: (b: string) => b.replace("refs/heads/master", "refs/heads/prod") }],
    ["a wrong secret", { secret: "not-the-secret" }],
  ])("refuses %s with 401 and starts nothing", async (_what, options) => {
    const before = await runCount();
    const answer = await github("push", pushToMaster(), options);
    expect(answer.status).toBe(401);
    expect(answer.body.error?.code).toBe("invalid_signature");
    expect(await runCount()).toBe(before);
  });

  it("refuses a missing signature with 401", async () => {
    const answer = await post("/webhooks/github", JSON.stringify(pushToMaster()), {
      "x-github-event": "push",
      "x-github-delivery": crypto.randomUUID(),
    });
    expect(answer.status).toBe(401);
    expect(answer.body.error?.message).toMatch(/X-Hub-Signature-256/);
  });

  it("answers 202 with no runs when no job's filter matches (a tag push, a ping)", async () => {
    const before = await runCount();
    const tag = await github(
      "push",
      example("push", (e) => e.ref === "refs/tags/simple-tag"),
    );
    expect(tag).toMatchObject({ status: 202, body: { runs: [] } });
    const ping = await github(
      "ping",
      example("ping", () => true),
    );
    expect(ping).toMatchObject({ status: 202, body: { runs: [] } });
    expect(await runCount()).toBe(before);
  });

  it("answers 422 with the path when a payload does not fit the job's input schema, starts nothing and records nothing", async () => {
    const payload = prOpened();
    (payload.pull_request as Json).number = "two";
    const delivery = crypto.randomUUID();
    const before = await runCount();
    const answer = await github("pull_request", payload, { delivery });
    expect(answer.status).toBe(422);
    expect(answer.body.error).toMatchObject({
      code: "invalid_payload",
      path: "body.pull_request.number",
      job: "gh-pr-opened",
    });
    expect(await runCount()).toBe(before);
    expect(await getDelivery(env.DB, "github", delivery)).toBeNull();
  });

  it("answers 413 for a body over the limit, before reading it all", async () => {
    const answer = await github("push", { ...pushToMaster(), padding: "x".repeat(1024 * 1024) });
    expect(answer.status).toBe(413);
    expect(answer.body.error?.code).toBe("payload_too_large");
  });

  it("answers 400 when the delivery headers are missing", async () => {
    const body = JSON.stringify(pushToMaster());
    const answer = await post("/webhooks/github", body, {
      "x-github-event": "push",
      "x-hub-signature-256": await sign(GITHUB_SECRET, body),
    });
    expect(answer.status).toBe(400);
    expect(answer.body.error?.path).toBe("headers.x-github-delivery");
  });

  it("answers 400 naming the header when a Standard Webhooks delivery has no webhook-id", async () => {
    const body = JSON.stringify({ type: "build.finished" });
    const at = new Date();
    const before = await runCount();
    const answer = await post("/webhooks/acme", body, {
      "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
      "webhook-signature": new Webhook(ACME_NEW).sign("msg_unsent", at, body),
    });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: "invalid_request", path: "headers.webhook-id" });
    expect(await runCount()).toBe(before);
  });

  it("does not take the API's bearer token instead of a signature", async () => {
    const answer = await post("/webhooks/github", JSON.stringify(pushToMaster()), {
      authorization: "Bearer test-token",
      "x-github-event": "push",
      "x-github-delivery": crypto.randomUUID(),
    });
    expect(answer.status).toBe(401);
  });
});

describe("POST /webhooks/:source (Standard Webhooks)", () => {
  const deploy = { type: "deploy.requested", timestamp: "2026-08-22T02:00:00Z", data: { branch: "main" } };

  it("starts a run with the input the job's schema yields", async () => {
    const msg = `msg_${uniqueId("deploy")}`;
    const { id, instance } = await expectRun("hook-deploy", "acme", msg);
    await using _ = instance;
    const answer = await acme(deploy, { id: msg });
    expect(answer).toMatchObject({
      status: 202,
      body: { runs: [{ job: "hook-deploy", runId: id, outcome: "started" }] },
    });
    expect((await getRun(env.DB, id))?.input_json).toEqual({ branch: "main" });
    expect((await acme(deploy, { id: msg })).status).toBe(200);
    await finish(id, instance);
  });

  it("accepts a delivery signed with the old key while both are configured (rotation), and several signatures", async () => {
    for (const secrets of [[ACME_OLD], [`whsec_${btoa("some-other-key-of-the-sender----")}`, ACME_NEW]]) {
      const msg = `msg_${uniqueId("rotate")}`;
      const { id, instance } = await expectRun("hook-deploy", "acme", msg);
      await using _ = instance;
      const answer = await acme(deploy, { id: msg, secrets });
      expect(answer.status).toBe(202);
      await finish(id, instance);
    }
  });

  it("refuses a stale timestamp and a tampered body with 401", async () => {
    const before = await runCount();
    const stale = await acme(deploy, { at: new Date(Date.now() - 6 * 60_000) });
    expect(stale).toMatchObject({ status: 401, body: { error: { code: "stale_timestamp" } } });
    const tampered = await acme(deploy, { tamper: (b) => b.replace('"main"', '"prod"') });
    expect(tampered).toMatchObject({ status: 401, body: { error: { code: "invalid_signature" } } });
    expect(await runCount()).toBe(before);
  });

  it("answers 422 naming the field when the payload does not fit", async () => {
    const answer = await acme({ type: "deploy.requested", data: { branch: 7 } });
    expect(answer.status).toBe(422);
    expect(answer.body.error?.path).toBe("body.data.branch");
  });

  it("answers 404 for a source nobody listens to or no secret is set for", async () => {
    for (const source of ["nobody", "orphan", "GitHub!"]) {
      const answer = await post(`/webhooks/${source}`, "{}", {
        "webhook-id": "m",
        "webhook-timestamp": "1",
        "webhook-signature": "v1,x",
      });
      expect(answer.status, source).toBe(404);
    }
  });

  it("skips a delivery while a run of a `skip` job is active, and while the job is paused", async () => {
    const first = `msg_${uniqueId("build")}`;
    const { id, instance } = await expectRun("hook-build", "acme", first);
    await using _ = instance;
    const build = { type: "build.requested", data: {} };
    expect((await acme(build, { id: first })).body.runs?.[0]).toMatchObject({
      outcome: "started",
      runId: id,
    });
    await waitForRun(id, inState("awaitingClaim"));
    const second = await acme(build);
    expect(second.body.runs?.[0]).toMatchObject({ job: "hook-build", outcome: "skipped", reason: "active" });
    expect(
      (await listRuns(env.DB, { job: "hook-build", limit: 50 })).filter((r) => r.status !== "final"),
    ).toHaveLength(1);
    await finish(id, instance);

    expect(
      (await api("/api/jobs/hook-build/pause", { method: "POST", json: { reason: "maintenance" } })).status,
    ).toBe(200);
    const paused = await acme(build);
    expect(paused.body.runs?.[0]).toMatchObject({ outcome: "skipped", reason: "paused" });
    expect((await api("/api/jobs/hook-build/resume", { method: "POST", json: {} })).status).toBe(200);
    const events = (await (await api("/api/jobs/hook-build/events")).json()) as {
      events: Array<{ type: string }>;
    };
    expect(events.events.map((e) => e.type)).toEqual([
      "trigger.skipped",
      "job.paused",
      "trigger.skipped",
      "job.resumed",
    ]);
  });
});
