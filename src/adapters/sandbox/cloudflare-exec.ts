/**
 * A command run through the SDK with an output cap, which the SDK lacks: output
 * is counted as it streams and the command is aborted once it passes the cap;
 * either way the call fails as `output_limit`.
 */
import { type ExecResult, SandboxError } from "../../ports/sandbox.ts";
import type { CloudflareSandboxStub } from "./cloudflare-stub.ts";

export async function execCapped(
  stub: CloudflareSandboxStub,
  command: string,
  options: {
    timeout: number;
    cwd: string;
    env?: Record<string, string> | undefined;
    cap: number;
    onOutput?: ((stream: "stdout" | "stderr", data: string) => void) | undefined;
  },
): Promise<ExecResult> {
  const { cap } = options;
  const abort = new AbortController();
  let bytes = 0;
  const encoder = new TextEncoder();
  const run = stub.exec(command, {
    timeout: options.timeout,
    cwd: options.cwd,
    ...(options.env ? { env: options.env } : {}),
    stream: true,
    signal: abort.signal,
    onOutput: (stream, data) => {
      bytes += encoder.encode(data).length;
      if (bytes > cap) abort.abort();
      else options.onOutput?.(stream, data);
    },
  });
  const result = await run.catch((error: unknown) => {
    if (abort.signal.aborted) throw new SandboxError("output_limit", `output exceeded ${cap} bytes`);
    throw error;
  });
  if (abort.signal.aborted || encoder.encode(result.stdout + result.stderr).length > cap) {
    throw new SandboxError("output_limit", `output exceeded ${cap} bytes`);
  }
  return {
    exitCode: result.exitCode,
    stdout: result.stdout,
    stderr: result.stderr,
    durationMs: result.duration,
  };
}
