/**
 * Which wrangler deploys a job's Worker (docs/deploy.md): the project's own
 * (`node_modules/wrangler` beside its Worker config) when it has `--temporary`,
 * else nightshift's; a project that pins wrangler below 4 is refused with what
 * to do, not with wrangler 3's usage text. Pure: the caller reads the
 * project's `node_modules/wrangler/package.json` (inside the Sandbox for a
 * deploy) and hands its text here.
 */

/** The first wrangler release with `deploy --temporary`. */
export const TEMPORARY_SINCE = "4.102.0";

export type WranglerChoice =
  | { ok: true; argv: readonly string[]; why: string }
  | { ok: false; message: string };

type Version = [number, number, number];

/** `major.minor.patch` of a version string; a pre-release counts as its release. */
export function parseVersion(text: unknown): Version | null {
  if (typeof text !== "string") return null;
  const match = /^v?(\d+)\.(\d+)\.(\d+)/.exec(text.trim());
  return match ? [Number(match[1]), Number(match[2]), Number(match[3])] : null;
}

function atLeast(a: Version, b: Version): boolean {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return (a[i] as number) > (b[i] as number);
  return true;
}

/** The version a package.json text names, or null when it names none (or is not JSON). */
function versionOf(packageJson: string): { text: string; parsed: Version } | null {
  try {
    const version = (JSON.parse(packageJson) as { version?: unknown } | null)?.version;
    const parsed = parseVersion(version);
    return parsed ? { text: String(version), parsed } : null;
  } catch {
    return null;
  }
}

/**
 * The wrangler to run for a Worker config in `projectDir` (the config's directory, as the
 * wrangler will see it), given the text of `projectDir/node_modules/wrangler/package.json`
 * (null when there is none) and nightshift's own wrangler argv.
 */
export function chooseWrangler(input: {
  projectDir: string;
  ownPackage: string | null;
  fallback: readonly string[];
}): WranglerChoice {
  const { projectDir, ownPackage, fallback } = input;
  if (ownPackage === null)
    return {
      ok: true,
      argv: fallback,
      why: "nightshift's wrangler: the project has no node_modules/wrangler",
    };
  const own = versionOf(ownPackage);
  if (!own)
    return {
      ok: true,
      argv: fallback,
      why: "nightshift's wrangler: the project's node_modules/wrangler/package.json names no version",
    };
  if (atLeast(own.parsed, parseVersion(TEMPORARY_SINCE) as Version))
    return {
      ok: true,
      argv: ["node", `${projectDir.replace(/\/+$/, "")}/node_modules/wrangler/bin/wrangler.js`],
      why: `the project's own wrangler ${own.text} (node_modules/wrangler, ≥ ${TEMPORARY_SINCE}: has --temporary)`,
    };
  if (own.parsed[0] < 4)
    return {
      ok: false,
      message: `this project pins wrangler ${own.text}; \`--temporary\` needs wrangler ≥ ${TEMPORARY_SINCE.replace(/\.0$/, "")}: run \`npm install -D wrangler@4\` in the project`,
    };
  return {
    ok: true,
    argv: fallback,
    why: `nightshift's wrangler: the project's own ${own.text} predates --temporary (${TEMPORARY_SINCE})`,
  };
}
