/**
 * The CLI's HTTP client for the nightshift API. Where: `--url`, else
 * NIGHTSHIFT_URL, else http://127.0.0.1:8787. Who: `--token`, else
 * NIGHTSHIFT_TOKEN, else `.nightshift/token` (written by `nightshift start`).
 * Failures become `ApiFailure` with the API's error code and HTTP status.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { projectRoot } from "./project.ts";

export const DEFAULT_URL = "http://127.0.0.1:8787";

export class ApiFailure extends Error {
  override readonly name = "ApiFailure";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface Client {
  url: string;
  request<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T>;
}

async function tokenFromFiles(): Promise<string | undefined> {
  for (const dir of [process.cwd(), projectRoot()]) {
    const text = await readFile(join(dir, ".nightshift", "token"), "utf8").catch(() => null);
    if (text?.trim()) return text.trim();
  }
  return undefined;
}

export async function connect(options: { url?: string; token?: string }): Promise<Client> {
  const url = (options.url ?? process.env.NIGHTSHIFT_URL ?? DEFAULT_URL).replace(/\/+$/, "");
  const token = options.token ?? process.env.NIGHTSHIFT_TOKEN ?? (await tokenFromFiles());
  return {
    url,
    async request<T>(method: string, path: string, body?: unknown): Promise<T> {
      const headers: Record<string, string> = { accept: "application/json" };
      if (token) headers.authorization = `Bearer ${token}`;
      if (body !== undefined) headers["content-type"] = "application/json";
      let response: Response;
      try {
        response = await fetch(`${url}${path}`, {
          method,
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      } catch (error) {
        const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
        throw new ApiFailure(
          0,
          "unreachable",
          `cannot reach nightshift at ${url} (${cause}); is it running?`,
        );
      }
      const text = await response.text();
      let parsed: unknown = null;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        // not JSON: reported below
      }
      if (!response.ok) {
        const error = (parsed as { error?: { code?: string; message?: string } } | null)?.error;
        throw new ApiFailure(
          response.status,
          error?.code ?? `http_${response.status}`,
          error?.message ?? `HTTP ${response.status} from ${path}`,
        );
      }
      return parsed as T;
    },
  };
}
