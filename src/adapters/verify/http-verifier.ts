/**
 * The Verifier: HTTP probes against the live deployment, with retries while
 * a fresh deployment propagates, then commands in the Sandbox with their
 * expected exit codes. Runs wherever `fetch` does (the Worker, Node).
 */
import type { CommandCheck, Probe } from "../../jobs/schema.ts";
import type { Sandbox } from "../../ports/sandbox.ts";
import type { Check, Verifier, VerifyReport, VerifyRequest } from "../../ports/verifier.ts";
import { excerptOf, type ObservedResponse, probeCheck, probeName } from "./expectations.ts";

export interface HttpVerifierOptions {
  /** Maps the public deployment URL to one this process can reach (local mode: the emulator). */
  resolveUrl?: (publicUrl: string) => string;
  /** Attempts per probe before it counts as failed (propagation). */
  attempts?: number;
  retryDelayMs?: number;
  /** Per-request time limit. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export function createHttpVerifier(options: HttpVerifierOptions = {}): Verifier {
  const attempts = options.attempts ?? 4;
  const retryDelayMs = options.retryDelayMs ?? 500;
  const timeoutMs = options.timeoutMs ?? 15_000;
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  const resolve = options.resolveUrl ?? ((url: string) => url);

  async function observe(
    probe: Probe,
    base: string,
  ): Promise<ObservedResponse | { error: string; durationMs: number }> {
    const url = resolve(new URL(probe.path, base).toString());
    const started = Date.now();
    try {
      const response = await doFetch(url, {
        method: probe.method,
        headers: probe.headers,
        ...(probe.body !== undefined && probe.method !== "GET" && probe.method !== "HEAD"
          ? { body: probe.body }
          : {}),
        redirect: "manual",
        signal: AbortSignal.timeout(timeoutMs),
      });
      const body = await response.text();
      return {
        status: response.status,
        headers: Object.fromEntries(response.headers),
        body,
        durationMs: Date.now() - started,
      };
    } catch (error) {
      return {
        error: error instanceof Error ? error.message : String(error),
        durationMs: Date.now() - started,
      };
    }
  }

  async function runProbe(probe: Probe, base: string): Promise<Check> {
    let check: Check | null = null;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const observed = await observe(probe, base);
      check =
        "error" in observed
          ? {
              name: probeName(probe),
              kind: "probe",
              passed: false,
              expected: `status ${probe.expect.status}`,
              actual: `request failed: ${observed.error}`,
              excerpt: "",
              durationMs: observed.durationMs,
            }
          : probeCheck(probe, observed);
      if (check.passed) return check;
      if (attempt < attempts) await new Promise((r) => setTimeout(r, retryDelayMs));
    }
    return check!;
  }

  async function runCommand(command: CommandCheck, sandbox: Sandbox): Promise<Check> {
    const started = Date.now();
    const name = command.name ?? command.run;
    try {
      const result = await sandbox.exec(command.run, { timeoutMs: command.timeout, maxOutputBytes: 1 << 20 });
      return {
        name,
        kind: "command",
        passed: result.exitCode === command.expectExit,
        expected: `exit ${command.expectExit}`,
        actual: `exit ${result.exitCode}`,
        excerpt: excerptOf(`${result.stdout}${result.stderr}`),
        durationMs: result.durationMs,
      };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return {
        name,
        kind: "command",
        passed: false,
        expected: `exit ${command.expectExit}`,
        actual: message,
        excerpt: "",
        durationMs: Date.now() - started,
      };
    }
  }

  return {
    async verify(request: VerifyRequest): Promise<VerifyReport> {
      const checks: Check[] = [];
      for (const probe of request.probes) checks.push(await runProbe(probe, request.url));
      for (const command of request.commands) checks.push(await runCommand(command, request.sandbox));
      return { passed: checks.every((c) => c.passed), url: request.url, checks };
    },
  };
}
