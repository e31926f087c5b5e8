/**
 * A run's timeline as Server-Sent Events (`GET /api/runs/:id/events?stream=1`
 * and the inbox's `/inbox/runs/:id/stream`), through the real Worker entry and
 * real run Workflows: the wire format, resuming after `Last-Event-ID` without
 * duplicates or gaps, events arriving live while a gate is approved, and the
 * stream ending once the run is final.
 */
import { beforeAll, describe, expect, it } from "vitest";
import {
  api,
  decide,
  inState,
  rejectAtClaim,
  signOff,
  startRun,
  uniqueId,
  waitForRun,
} from "../run/harness.ts";

beforeAll(signOff);

interface SseMessage {
  id?: string;
  event: string;
  data: string;
}

/** An SSE reader over a fetch body: messages as they come, or all of them until the stream ends. */
function sseReader(response: Response) {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  const messages: SseMessage[] = [];
  let retry: number | null = null;
  let ended = false;
  const parse = () => {
    for (let cut = buffer.indexOf("\n\n"); cut >= 0; cut = buffer.indexOf("\n\n")) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const message: SseMessage = { event: "message", data: "" };
      let hasData = false;
      for (const line of block.split("\n")) {
        if (line.startsWith(":")) continue; // a comment (keep-alive)
        const [name, ...rest] = line.split(": ");
        const value = rest.join(": ");
        if (name === "id") message.id = value;
        else if (name === "event") message.event = value;
        else if (name === "retry") retry = Number(value);
        else if (name === "data") {
          message.data = value;
          hasData = true;
        } else throw new Error(`unexpected SSE field "${name}"`);
      }
      // As in EventSource: a block without data dispatches nothing.
      if (hasData) messages.push(message);
    }
  };
  return {
    messages,
    retry: () => retry,
    /** Reads until `done(messages)` holds or the server ends the stream. */
    async readUntil(done: (all: SseMessage[]) => boolean): Promise<SseMessage[]> {
      while (!ended && !done(messages)) {
        const { value, done: finished } = await reader.read();
        if (finished) ended = true;
        else {
          buffer += value;
          parse();
        }
      }
      return messages;
    },
    async toEnd(): Promise<SseMessage[]> {
      await this.readUntil(() => false);
      expect(buffer).toBe("");
      return messages;
    },
    cancel: () => reader.cancel(),
  };
}

const stream = (id: string, headers: Record<string, string> = {}, query = "stream=1") =>
  api(`/api/runs/${id}/events?${query}`, { headers });

async function jsonEvents(id: string): Promise<Array<{ seq: number; type: string }>> {
  return (
    (await (await api(`/api/runs/${id}/events`)).json()) as { events: Array<{ seq: number; type: string }> }
  ).events;
}

const auditOf = (messages: SseMessage[]) => messages.filter((m) => m.event === "message");

describe("the run event stream", () => {
  it("sends every audit event with its seq as the id, the run's state, then ends once the run is final", async () => {
    const id = uniqueId("sse-final");
    await using instance = await startRun("loop", id);
    await rejectAtClaim(id, instance);
    const response = await stream(id);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const sse = sseReader(response);
    const messages = await sse.toEnd();

    expect(sse.retry()).toBe(2000);
    const audit = auditOf(messages);
    const log = await jsonEvents(id);
    expect(audit.map((m) => Number(m.id))).toEqual(log.map((e) => e.seq));
    expect(audit.map((m) => JSON.parse(m.data).type)).toEqual(log.map((e) => e.type));
    expect(JSON.parse(audit[0]!.data)).toMatchObject({ seq: log[0]!.seq, type: "run.started", data: {} });
    const states = messages.filter((m) => m.event === "state").map((m) => JSON.parse(m.data));
    expect(states).toEqual([{ state: "rejected", status: "final" }]);
    expect(messages.at(-1)).toMatchObject({ event: "end" });
    expect(JSON.parse(messages.at(-1)!.data)).toEqual({ state: "rejected", status: "final" });
  });

  it("resumes after Last-Event-ID (which wins over ?after=), without duplicates or gaps", async () => {
    const id = uniqueId("sse-resume");
    await using instance = await startRun("loop", id);
    await rejectAtClaim(id, instance);
    const log = await jsonEvents(id);
    expect(log.length).toBeGreaterThan(4);
    const third = log[2]!.seq;

    const resumed = auditOf(await sseReader(await stream(id, { "last-event-id": String(third) })).toEnd());
    expect(resumed.map((m) => Number(m.id))).toEqual(log.slice(3).map((e) => e.seq));

    const byQuery = auditOf(await sseReader(await stream(id, {}, `stream=1&after=${third}`)).toEnd());
    expect(byQuery.map((m) => Number(m.id))).toEqual(log.slice(3).map((e) => e.seq));

    const both = auditOf(
      await sseReader(
        await stream(id, { "last-event-id": String(log[3]!.seq) }, `stream=1&after=${third}`),
      ).toEnd(),
    );
    expect(both.map((m) => Number(m.id))).toEqual(log.slice(4).map((e) => e.seq));
  });

  it("streams the steps a gate approval resumes, live, on one connection", async () => {
    const id = uniqueId("sse-live");
    await using instance = await startRun("loop", id);
    await waitForRun(id, inState("awaitingClaim"));
    const backlog = await jsonEvents(id);
    const sse = sseReader(await stream(id, { accept: "text/event-stream" }, ""));
    await sse.readUntil((all) => auditOf(all).some((m) => Number(m.id) === backlog.at(-1)!.seq));
    const before = auditOf(sse.messages).length;
    expect(before).toBe(backlog.length);
    expect(sse.messages.filter((m) => m.event === "state").map((m) => JSON.parse(m.data).state)).toEqual([
      "awaitingClaim",
    ]);

    expect((await decide(id, "claim", "approve")).status).toBe(200);
    const messages = await sse.toEnd();
    await instance.waitForStatus("complete");

    const types = auditOf(messages).map((m) => JSON.parse(m.data).type as string);
    expect(types.slice(before)).toContain("gate.approved");
    expect(types.at(-1)).toBe("run.finished");
    // Exactly the audit log, in order, each event once.
    expect(auditOf(messages).map((m) => Number(m.id))).toEqual((await jsonEvents(id)).map((e) => e.seq));
    const states = messages.filter((m) => m.event === "state").map((m) => JSON.parse(m.data).state);
    expect(states.at(-1)).toBe("succeeded");
    expect(JSON.parse(messages.at(-1)!.data)).toEqual({ state: "succeeded", status: "final" });
  });

  it("serves the inbox's stream with the timeline's own entries", async () => {
    const id = uniqueId("sse-inbox");
    await using instance = await startRun("loop", id);
    await rejectAtClaim(id, instance);
    const response = await api(`/inbox/runs/${id}/stream?after=0`);
    expect(response.status).toBe(200);
    const audit = auditOf(await sseReader(response).toEnd());
    const rejected = audit.map((m) => JSON.parse(m.data)).find((e) => e.type === "gate.rejected");
    expect(rejected).toMatchObject({ actor: "admin", note: "“test done”" });
    expect(Object.keys(rejected).sort()).toEqual(["actor", "at", "log", "note", "seq", "step", "to", "type"]);
  });

  it("answers JSON errors: 401 without a credential, 404 for an unknown run, 400 for a bad query", async () => {
    const anonymous = await api("/api/runs/x/events?stream=1", {
      headers: { authorization: "Bearer wrong" },
    });
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { error: { code: string } }).error.code).toBe("unauthorized");
    const unknown = await stream("no-such-run");
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe("not_found");
    const id = uniqueId("sse-bad");
    await using instance = await startRun("loop", id);
    await rejectAtClaim(id, instance);
    const bad = await stream(id, {}, "stream=maybe");
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { path: string } }).error.path).toBe("query.stream");
    const inbox = await api("/inbox/runs/no-such-run/stream");
    expect(inbox.status).toBe(404);
    expect(((await inbox.json()) as { error: { code: string } }).error.code).toBe("not_found");
  });
});
