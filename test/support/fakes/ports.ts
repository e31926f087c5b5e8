/**
 * Fake ports for the run Workflow tests: an agent that leaves a bug in its
 * early rounds, a deployer with temporary accounts that expire, a verifier
 * that finds the bug. Each completed effect is logged in the fake world; each
 * may be scripted to throw transient faults first. Test-only.
 */
import type { Agent } from "../../../src/ports/agent.ts";
import type { Deployer } from "../../../src/ports/deployer.ts";
import type { Ports } from "../../../src/ports/index.ts";
import { err, ok } from "../../../src/ports/result.ts";
import { systemClock } from "../../../src/ports/clock.ts";
import { fakeSandboxes } from "./sandbox.ts";
import { FakeWorld } from "./world.ts";

export const FAKE_API_BASE = "http://fake-cloudflare.test/client/v4";

function agent(world: FakeWorld): Agent {
  return {
    name: "fake",
    async write(req) {
      await world.maybeFail(req.runId, req.idempotencyKey);
      const script = await world.script(req.runId);
      if (script.writeDelayMs) await new Promise((r) => setTimeout(r, script.writeDelayMs));
      await req.sandbox.writeFile(
        "/workspace/app.txt",
        `round ${req.round}${req.report ? " (saw report)" : ""}`,
      );
      if (req.round <= (script.buggyRounds ?? 0))
        await req.sandbox.writeFile("/workspace/BUG", `bug from round ${req.round}`);
      else await req.sandbox.deleteFile("/workspace/BUG");
      await world.record(req.runId, req.idempotencyKey, req.mode);
      const tokens = script.tokensPerRound ?? 1_000;
      return ok({
        summary: `round ${req.round}`,
        filesChanged: ["app.txt"],
        usage: {
          tokensIn: Math.floor(tokens / 2),
          tokensOut: Math.ceil(tokens / 2),
          costUsd: script.costPerRound ?? 0.01,
        },
        transcriptRef: null,
        replay: false,
      });
    },
  };
}

function deployer(world: FakeWorld): Deployer {
  return {
    async deploy(req) {
      await world.maybeFail(req.runId, req.idempotencyKey);
      const script = await world.script(req.runId);
      const step = req.idempotencyKey.slice(req.runId.length + 1);
      const failure = script.deployFailures?.[step];
      if (failure) {
        await world.record(req.runId, req.idempotencyKey, `deploy:${failure}`);
        return err({ code: failure as "build_error", message: `scripted ${failure}`, logRef: null });
      }
      const now = systemClock.now();
      let account = req.freshAccount
        ? null
        : await world.db
            .prepare(
              `SELECT id, expires_at FROM fake_accounts WHERE run_id = ?1 AND expires_at > ?2 ORDER BY n DESC LIMIT 1`,
            )
            .bind(req.runId, now)
            .first<{ id: string; expires_at: number }>();
      if (!account) {
        const n =
          ((
            await world.db
              .prepare(`SELECT COUNT(*) AS c FROM fake_accounts WHERE run_id = ?1`)
              .bind(req.runId)
              .first<{ c: number }>()
          )?.c ?? 0) + 1;
        const lifetime = script.accountLifetimesMs?.[n - 1] ?? 3_600_000;
        account = { id: `acct-${req.runId}-${n}`, expires_at: now + lifetime };
        await world.db
          .prepare(`INSERT INTO fake_accounts (id, run_id, n, expires_at) VALUES (?1, ?2, ?3, ?4)`)
          .bind(account.id, req.runId, n, account.expires_at)
          .run();
      }
      await world.record(req.runId, req.idempotencyKey, "deploy");
      const versionId = crypto.randomUUID();
      await world.setLiveVersion(account.id, req.workerName, versionId);
      return ok({
        url: `https://${req.workerName}.${account.id}.workers.dev`,
        versionId,
        account: {
          id: account.id,
          claimUrl: `https://dash.fake.test/claim/${account.id}`,
          expiresAt: account.expires_at,
          claimExpiresAt: account.expires_at,
        },
        logRef: null,
      });
    },
    async promote(req) {
      await world.maybeFail(req.runId, req.idempotencyKey);
      await world.record(req.runId, req.idempotencyKey, "promote");
      const pendingChecks = (await world.script(req.runId)).claimPendingChecks ?? 0;
      if (pendingChecks > 0) {
        const promotions = await world.db
          .prepare(`SELECT COUNT(*) AS c FROM fake_calls WHERE run_id = ?1 AND kind = 'promote'`)
          .bind(req.runId)
          .first<{ c: number }>();
        if ((promotions?.c ?? 0) <= pendingChecks)
          return ok({ status: "pending" as const, how: "fake claim check", logRef: null });
      }
      return ok({
        status: "done" as const,
        url: req.deploymentUrl ?? "https://promoted.fake.test",
        how: "fake",
        logRef: null,
      });
    },
    async observe(req) {
      const id =
        req.account && !req.claimOnly ? await world.liveVersion(req.account.id, req.workerName) : null;
      const claimedAt = req.account ? await world.claimedAt(req.account.id) : null;
      return {
        version: id ? { id, where: "temporary" as const } : null,
        claim:
          claimedAt === null
            ? { status: "unclaimed" as const, at: null, how: "fake" }
            : { status: "claimed" as const, at: claimedAt, how: "fake claim page" },
      };
    },
  };
}

export function fakePorts(db: D1Database): Ports {
  const world = new FakeWorld(db);
  return {
    sandboxes: fakeSandboxes(world),
    agentFor: () => agent(world),
    deployer: deployer(world),
    verifier: {
      async verify(req) {
        await world.maybeFail(req.runId, req.idempotencyKey);
        const bug = await req.sandbox.readFile("/workspace/BUG").catch(() => null);
        await world.record(req.runId, req.idempotencyKey, "verify");
        return {
          passed: bug === null,
          url: req.url,
          checks: [
            {
              name: "no bug",
              kind: "probe",
              passed: bug === null,
              expected: "no BUG file",
              actual: bug ?? "none",
              excerpt: "",
              durationMs: 1,
            },
          ],
        };
      },
    },
    dns: {
      async plan({ desired }) {
        const after = {
          kind: "custom-domain",
          id: null,
          hostname: desired.hostname,
          service: desired.workerName,
        } as const;
        return ok({
          zone: { id: "zone-1", name: desired.zone },
          accountId: "org-1",
          requestedHostname: desired.requestedHostname,
          hostname: desired.hostname,
          mode: desired.mode,
          workerName: desired.workerName,
          changes: [{ action: "create", key: `custom-domain:${desired.hostname}`, before: null, after }],
          findings: [],
          blocked: false,
          readAt: 0,
        });
      },
      async apply(req) {
        await world.record(req.runId, req.idempotencyKey, "dns");
        const [change] = req.plan.changes;
        return ok({
          applied: change
            ? [{ key: change.key, action: change.action, result: change.after, replayed: false }]
            : [],
          inverse: change ? [{ action: "delete", key: change.key, before: change.after, after: null }] : [],
        });
      },
    },
    notifier: {
      async notify(n) {
        await world.record(n.runId, n.idempotencyKey, `notify:${n.kind}`);
      },
    },
    clock: systemClock,
    apiBase: FAKE_API_BASE,
  };
}
