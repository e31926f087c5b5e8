/** `nightshift generate`: rewrites `workflows/index.ts` from the job files beside it. */
import { readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { MANIFEST_FILE, renderManifest } from "../../jobs/manifest.ts";
import type { Command } from "../command.ts";
import { projectRoot } from "../project.ts";

export async function generateManifest(root = projectRoot()): Promise<{ file: string; text: string }> {
  const dir = join(root, "workflows");
  const text = renderManifest(await readdir(dir));
  return { file: join(dir, MANIFEST_FILE), text };
}

export const generate: Command = {
  summary: "regenerate workflows/index.ts from the job files",
  async run() {
    const { file, text } = await generateManifest();
    await writeFile(file, text);
    console.log(`wrote ${file.replace(`${projectRoot()}/`, "")}`);
    return 0;
  },
};
