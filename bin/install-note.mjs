// `npm install`'s postinstall note. npm itself may run on an older Node than the project's (the
// system Node 20, say); it then warns EBADENGINE for every package that needs Node 22, and says
// nothing about the project bringing its own. This says so once, and only then. It leaves other
// warnings alone: they may be real.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
// npm's own Node, not the one running this script (npm puts node_modules/.bin first on PATH).
const npmNode = /\bnode\/v(\d+)\.(\S+)/.exec(process.env.npm_config_user_agent ?? "");
const projectNode = join(root, "node_modules", ".bin", "node");

if (npmNode && Number(npmNode[1]) < 22) {
  const version = `${npmNode[1]}.${npmNode[2]}`;
  if (existsSync(projectNode))
    console.log(
      `nightshift: npm runs on Node ${version}, hence its EBADENGINE warnings for packages that need Node 22.\n` +
        "  They do not apply: npm start, npm test, npm run and npx nightshift run on the project's own Node 22\n" +
        "  (the devDependency `node`, node_modules/.bin/node). Other warnings above still count.",
    );
  else
    console.log(
      `nightshift: npm runs on Node ${version} and the project's own Node 22 (devDependency \`node\`) is not installed;\n` +
        "  nightshift needs it: run npm install again and look for errors about the `node` package.",
    );
}
