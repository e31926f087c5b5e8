/** `nightshift generate [--json]`: rewrites `workflows/index.ts` from the job files beside it. */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { MANIFEST_FILE, renderManifest } from "../../jobs/manifest.ts";
import { brokenFileProblem, formatProblem } from "../../jobs/registry.ts";
import type { Command } from "../command.ts";
import { readJobFiles } from "../job-files.ts";
import { projectRoot } from "../project.ts";

export interface Manifest {
  file: string;
  text: string;
  /** One line per job file left out because it does not compile (`file:line:column: …`). */
  broken: string[];
}

export async function generateManifest(root = projectRoot()): Promise<Manifest> {
  const dir = join(root, "workflows");
  const entries = await readJobFiles(dir);
  const broken = entries.flatMap((e) =>
    e.broken ? [formatProblem(brokenFileProblem(`workflows/${e.name}`, e.broken))] : [],
  );
  return { file: join(dir, MANIFEST_FILE), text: renderManifest(entries), broken };
}

/** Writes the manifest when it differs from what is on disk (so an unchanged tree stays unchanged). */
export async function refreshManifest(root = projectRoot()): Promise<Manifest & { written: boolean }> {
  const manifest = await generateManifest(root);
  const current = await readFile(manifest.file, "utf8").catch(() => null);
  if (current === manifest.text) return { ...manifest, written: false };
  await writeFile(manifest.file, manifest.text);
  return { ...manifest, written: true };
}

export const generate: Command = {
  async run({ values }) {
    const { file, text, broken } = await generateManifest();
    await writeFile(file, text);
    if (values.json) {
      console.log(JSON.stringify({ file: file.replace(`${projectRoot()}/`, ""), broken }));
      return 0;
    }
    for (const line of broken) console.error(`${line} (left out of the manifest)`);
    console.log(`wrote ${file.replace(`${projectRoot()}/`, "")}`);
    return 0;
  },
};
