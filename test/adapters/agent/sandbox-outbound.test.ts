/**
 * Production egress (src/adapters/sandbox/cloudflare-outbound.ts and the
 * Sandbox class of cloudflare-binding.ts), in workerd. Containers cannot run
 * here, so the container's side is played by requests handed to the
 * handlers — first directly with a recording `send`, then through the SDK's
 * own `ContainerProxy` (the entrypoint workerd calls for intercepted requests),
 * which finds the handlers in its registry only if the Sandbox class
 * registered them. The upstream is a recording stand-in for `fetch`.
 */
import { ContainerProxy } from "@cloudflare/sandbox";
import { afterEach, describe, expect, it, vi } from "vitest";
import { EGRESS_ROUTES } from "../../../src/ports/egress-routes.ts";
import { Sandbox } from "../../../src/adapters/sandbox/cloudflare-binding.ts";
import {
  CLOUDFLARE_API_GRANT,
  cloudflareApiGrantHandler,
  modelApiHandlers,
  type OutboundControl,
  openCloudflareApiGrant,
  revokeCloudflareApiGrant,
} from "../../../src/adapters/sandbox/cloudflare-outbound.ts";

const ENV = {
  OPENAI_API_KEY: "sk-openai-real",
  ANTHROPIC_API_KEY: "sk-ant-real",
  CLOUDFLARE_API_TOKEN: "cf-real",
};
const CTX = { containerId: "c1", className: "Sandbox" };

function recorder() {
  const sent: Request[] = [];
  const send = async (request: Request) => {
    sent.push(request);
    return Response.json({ ok: true });
  };
  return { sent, send };
}

const fromContainer = (url: string, init: RequestInit = {}) =>
  new Request(url, {
    method: "POST",
    body: '{"model":"m"}',
    ...init,
    headers: {
      authorization: "Bearer placeholder",
      "x-api-key": "placeholder",
      "content-type": "application/json",
    },
  });

afterEach(() => {
  vi.restoreAllMocks();
});

describe("model API handlers", () => {
  it("replace the container's placeholder with the orchestrator's key, per route", async () => {
    const { sent, send } = recorder();
    const handlers = modelApiHandlers(EGRESS_ROUTES, send);
    expect(Object.keys(handlers).sort()).toEqual(["api.anthropic.com", "api.openai.com"]);

    await handlers["api.openai.com"]!(fromContainer("https://api.openai.com/v1/chat/completions"), ENV, CTX);
    await handlers["api.anthropic.com"]!(fromContainer("https://api.anthropic.com/v1/messages"), ENV, CTX);
    const [openai, anthropic] = sent;
    expect(openai!.url).toBe("https://api.openai.com/v1/chat/completions");
    expect(openai!.headers.get("authorization")).toBe("Bearer sk-openai-real");
    expect(openai!.headers.get("x-api-key")).toBeNull();
    expect(openai!.headers.get("content-type")).toBe("application/json");
    expect(await openai!.text()).toBe('{"model":"m"}');
    expect(anthropic!.headers.get("x-api-key")).toBe("sk-ant-real");
    expect(anthropic!.headers.get("authorization")).toBeNull();
  });

  it("refuse with 401 when the orchestrator has no key, sending nothing", async () => {
    const { sent, send } = recorder();
    const handler = modelApiHandlers(EGRESS_ROUTES, send)["api.openai.com"]!;
    const response = await handler(fromContainer("https://api.openai.com/v1/models"), {}, CTX);
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: { code: "egress_no_key" } });
    expect(sent).toEqual([]);
  });
});

describe("the Cloudflare API grant handler", () => {
  const now = 1_000_000;
  const handler = (send: (r: Request) => Promise<Response>) => cloudflareApiGrantHandler(send, () => now);
  const params = { expiresAt: now + 60_000, basePath: "/client/v4" };

  it("adds the organisation's token under the grant's base path while it is open", async () => {
    const { sent, send } = recorder();
    const response = await handler(send)(
      fromContainer("https://api.cloudflare.com/client/v4/accounts/a/workers/scripts/w", { method: "PUT" }),
      ENV,
      { ...CTX, params },
    );
    expect(response.status).toBe(200);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.method).toBe("PUT");
    expect(sent[0]!.headers.get("authorization")).toBe("Bearer cf-real");
    expect(sent[0]!.headers.get("x-api-key")).toBeNull();
  });

  it("refuses without a grant, after expiry and outside the base path", async () => {
    const { sent, send } = recorder();
    const url = "https://api.cloudflare.com/client/v4/zones";
    const codes = async (response: Response) => [
      response.status,
      ((await response.json()) as { error: { code: string } }).error.code,
    ];
    expect(await codes(await handler(send)(fromContainer(url), ENV, CTX))).toEqual([403, "grant_unknown"]);
    expect(
      await codes(
        await handler(send)(fromContainer(url), ENV, { ...CTX, params: { ...params, expiresAt: now } }),
      ),
    ).toEqual([403, "grant_expired"]);
    expect(
      await codes(
        await handler(send)(fromContainer("https://api.cloudflare.com/other"), ENV, { ...CTX, params }),
      ),
    ).toEqual([403, "grant_unknown"]);
    expect(sent).toEqual([]);
  });

  it("is opened and revoked per Sandbox through the SDK's runtime host overrides", async () => {
    const calls: unknown[][] = [];
    const stub: OutboundControl = {
      setOutboundByHost: async (...args) => void calls.push(["set", ...args]),
      removeOutboundByHost: async (...args) => void calls.push(["remove", ...args]),
    };
    expect(await openCloudflareApiGrant(stub, { ttlMs: 120_000, now })).toEqual({
      expiresAt: now + 120_000,
      basePath: "/client/v4",
    });
    await revokeCloudflareApiGrant(stub);
    expect(calls).toEqual([
      [
        "set",
        "api.cloudflare.com",
        CLOUDFLARE_API_GRANT,
        { expiresAt: now + 120_000, basePath: "/client/v4" },
      ],
      ["remove", "api.cloudflare.com"],
    ]);
    // No token in what the SDK persists: only the expiry and the base path.
    expect(JSON.stringify(calls)).not.toContain("cf-real");
    await expect(openCloudflareApiGrant(stub, { ttlMs: 2 * 3_600_000 })).rejects.toThrow(RangeError);
  });
});

describe("the production Sandbox class, through the SDK's ContainerProxy", () => {
  /** The entrypoint workerd calls for a request the container made, with the props the DO gives it. */
  function proxyFor(props: Record<string, unknown>) {
    const ctx = {
      props,
      waitUntil: () => {},
      passThroughOnException: () => {},
    } as unknown as ExecutionContext;
    return new ContainerProxy(ctx, ENV as never);
  }
  const props = { containerId: "c1", className: Sandbox.name, enableInternet: true, interceptAll: false };

  it("registered its handlers with the SDK (no static field shadows the setters)", () => {
    expect(Object.getOwnPropertyDescriptor(Sandbox, "outboundByHost")).toBeUndefined();
    expect(Object.keys(Sandbox.outboundByHost ?? {}).sort()).toEqual(["api.anthropic.com", "api.openai.com"]);
    expect(Object.keys(Sandbox.outboundHandlers ?? {})).toContain(CLOUDFLARE_API_GRANT);
  });

  it("adds the model key to an intercepted request", async () => {
    const upstream = vi
      .spyOn(globalThis, "fetch")
      .mockImplementation(async () => Response.json({ ok: true }));
    const response = await proxyFor(props).fetch(fromContainer("https://api.openai.com/v1/chat/completions"));
    expect(response.status).toBe(200);
    expect(upstream).toHaveBeenCalledTimes(1);
    const sent = upstream.mock.calls[0]![0] as Request;
    expect(sent.url).toBe("https://api.openai.com/v1/chat/completions");
    expect(sent.headers.get("authorization")).toBe("Bearer sk-openai-real");
  });

  it("adds the Cloudflare API token only while this Sandbox's grant override is set", async () => {
    const upstream = vi
      .spyOn(globalThis, "fetch")
      .mockImplementation(async () => Response.json({ ok: true }));
    const request = () =>
      fromContainer("https://api.cloudflare.com/client/v4/user/tokens/verify", { method: "GET", body: null });
    const granted = {
      ...props,
      interceptAll: true,
      outboundByHostOverrides: {
        "api.cloudflare.com": {
          method: CLOUDFLARE_API_GRANT,
          params: { expiresAt: Date.now() + 60_000, basePath: "/client/v4" },
        },
      },
    };
    expect((await proxyFor(granted).fetch(request())).status).toBe(200);
    expect((upstream.mock.calls[0]![0] as Request).headers.get("authorization")).toBe("Bearer cf-real");

    // Revoked (no override): the request goes out as the container sent it, with its placeholder.
    await proxyFor({ ...props, interceptAll: true }).fetch(request());
    const plain = upstream.mock.calls[1]![0] as Request;
    expect(plain.headers.get("authorization")).toBe("Bearer placeholder");
  });
});
