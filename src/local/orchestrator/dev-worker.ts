/**
 * The orchestrator's local dev server, through wrangler's own programmatic API
 * (`unstable_startWorker`, what `wrangler dev` runs underneath), as a child
 * process of dev-server.ts. Why not the `wrangler dev` CLI: in wrangler 4.156
 * it always opens a debugger, an inspector proxy on `--inspector-port` whose
 * Origin check admits any page served from 127.0.0.1 (a preview Worker, in a
 * person's browser), plus workerd's own inspector on a random loopback port;
 * through either, `env.NIGHTSHIFT_TOKEN` can be read (issue 15). Only this API
 * turns both off (`dev.inspector: false`).
 *
 * Its one argument is JSON without secrets (`ps` shows it); the secrets come
 * from the 0600 vars file it names (`envFile`), bound as secrets.
 */
import { unstable_startWorker } from "wrangler";
import { z } from "zod";

export const DevWorkerArgsSchema = z.strictObject({
  config: z.string(),
  port: z.number().int().min(1).max(65535),
  persistTo: z.string(),
  vars: z.record(z.string(), z.string()),
  envFile: z.string(),
});
export type DevWorkerArgs = z.infer<typeof DevWorkerArgsSchema>;

async function main(): Promise<void> {
  const args = DevWorkerArgsSchema.parse(JSON.parse(process.argv[2] ?? "null"));
  const worker = await unstable_startWorker({
    config: args.config,
    envFiles: [args.envFile],
    bindings: Object.fromEntries(
      Object.entries(args.vars).map(([name, value]) => [name, { type: "plain_text" as const, value }]),
    ),
    dev: {
      server: { hostname: "127.0.0.1", port: args.port },
      inspector: false,
      persist: args.persistTo,
      watch: false,
    },
  });
  await worker.ready;
  const stop = () => {
    void worker.dispose().finally(() => process.exit(0));
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  // The dev server leads its own process group, so nothing reaches it when its parent is
  // killed outright (SIGKILL): it notices being handed to another parent and stops with it,
  // taking workerd along, instead of holding the port for the next start.
  const parent = process.ppid;
  const watch = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(watch);
    stop();
  }, 500);
  watch.unref();
}

await main();
