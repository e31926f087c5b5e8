#!/usr/bin/env node
// Entry for `npx nightshift`: the TypeScript CLI (src/cli/main.ts) in this process, compiled on
// the fly by tsx's in-process loader. It needs Node 22 (wrangler and commander do); on an older
// Node it runs itself again with the project's own Node (the `node` devDependency), which is
// also what `npx` and `npm run` find first on PATH.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = join(root, "node_modules", ".bin");
// Child processes (wrangler, the dev server) find the project's Node and tools first.
if (!(process.env.PATH ?? "").startsWith(`${bin}:`)) process.env.PATH = `${bin}:${process.env.PATH ?? ""}`;

const major = Number(process.versions.node.split(".")[0]);
if (major < 22) {
  const node = join(bin, "node");
  if (!existsSync(node)) {
    console.error(
      `nightshift: needs Node 22 or newer (this is Node ${process.versions.node}); run npm install to get the project's own`,
    );
    process.exit(1);
  }
  const child = spawn(node, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: "inherit" });
  // Held, not default: this process stays until the child has exited, and a signal sent to it alone reaches the child.
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => child.kill(signal));
  child.on("exit", (code, signal) => {
    if (signal) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    } else process.exit(code ?? 1);
  });
} else {
  const { register } = await import("tsx/esm/api");
  register();
  await import(pathToFileURL(join(root, "src", "cli", "main.ts")).href);
}
