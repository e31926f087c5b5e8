#!/usr/bin/env node
// Entry for `npx nightshift`: runs the TypeScript CLI through tsx on the project's Node 22.
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = join(root, "node_modules", ".bin");
const result = spawnSync(join(bin, "tsx"), [join(root, "src", "cli", "main.ts"), ...process.argv.slice(2)], {
  stdio: "inherit",
  env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ""}` },
});
process.exit(result.status ?? 1);
