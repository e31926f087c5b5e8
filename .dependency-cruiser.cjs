/**
 * The layering rules of docs/architecture.md ("Dependency rules"), checked on every `npm test`
 * (`npm run rules`). A rule listed here holds today; the ones the code does not meet yet are
 * named in docs/architecture.md as not yet enforced.
 */
const above = (rooms) => `^src/(${rooms.join("|")})/`;

module.exports = {
  forbidden: [
    {
      name: "vocabulary-imports-nothing",
      comment: "src/ports/vocabulary.ts is the ground floor: every room may import it, it imports nothing.",
      severity: "error",
      from: { path: "^src/ports/vocabulary\\.ts$" },
      to: {},
    },
    {
      name: "loop-is-pure",
      comment: "The loop machine imports xstate, its own files and the vocabulary only.",
      severity: "error",
      from: { path: "^src/loop/" },
      to: { pathNot: ["^src/loop/", "^src/ports/vocabulary\\.ts$", "xstate"] },
    },
    {
      name: "ports-are-contracts",
      comment: "Ports are interfaces and schemas: they import no implementation and no upper room.",
      severity: "error",
      from: { path: "^src/ports/" },
      to: { path: [above(["adapters", "local", "cli", "run", "gates", "control", "api", "ui", "web", "store"]), "^src/(worker|wiring|env)\\.ts$"] },
    },
    {
      name: "store-is-below-its-callers",
      comment: "D1 access knows nothing of who calls it.",
      severity: "error",
      from: { path: "^src/store/" },
      to: { path: [above(["adapters", "local", "cli", "run", "gates", "control", "api", "ui", "web"]), "^src/(worker|wiring)\\.ts$"] },
    },
    {
      name: "gates-are-called-not-calling",
      comment: "src/gates/ is called by run/, control/, api/ and ui/; it never calls up into them.",
      severity: "error",
      from: { path: "^src/gates/" },
      to: { path: [above(["adapters", "local", "cli", "run", "control", "api", "ui"]), "^src/(worker|wiring)\\.ts$"] },
    },
    {
      name: "web-is-shared-below",
      comment: "What the API and the inbox share (sign-in, roles, signing, errors, the event stream) imports neither.",
      severity: "error",
      from: { path: "^src/web/" },
      to: { path: [above(["adapters", "local", "cli", "run", "gates", "control", "api", "ui"]), "^src/(worker|wiring)\\.ts$"] },
    },
    {
      name: "control-does-not-serve-http",
      comment: "Control (start, cancel, the sweeper, schedules) is called by the API, the inbox and the scheduler.",
      severity: "error",
      from: { path: "^src/control/" },
      to: { path: [above(["api", "ui", "cli", "local"]), "^src/worker\\.ts$"] },
    },
    {
      name: "run-is-below-the-edges",
      comment: "The Workflow does not reach the HTTP side or the control room.",
      severity: "error",
      from: { path: "^src/run/" },
      to: { path: [above(["api", "ui", "control", "cli", "local"]), "^src/worker\\.ts$"] },
    },
    {
      name: "adapters-implement-ports-only",
      comment: "An adapter gets what it needs from src/wiring.ts: it reads no D1 room, HTTP room or the Env.",
      severity: "error",
      from: { path: "^src/adapters/" },
      to: { path: [above(["store", "api", "ui", "web", "run", "gates", "control", "local", "cli"]), "^src/(env|wiring|worker)\\.ts$"] },
    },
    {
      name: "ui-and-api-are-siblings",
      comment: "The inbox and the API share src/web/; neither imports the other (worker.ts mounts both).",
      severity: "error",
      from: { path: "^src/ui/" },
      to: { path: ["^src/api/", "^src/loop/machine\\.ts$"] },
    },
    {
      name: "api-and-ui-are-siblings",
      comment: "src/site.ts mounts both.",
      severity: "error",
      from: { path: "^src/api/" },
      to: { path: "^src/ui/" },
    },
    {
      name: "worker-code-is-not-node-code",
      comment: "Worker code never imports the Node-only hosts or the CLI.",
      severity: "error",
      from: { path: "^src/", pathNot: ["^src/(local|cli)/"] },
      to: { path: above(["local", "cli"]) },
    },
    {
      name: "node-code-reads-ports-and-jobs-only",
      comment: "The local hosts and the CLI share only the wire vocabularies (src/ports/) and job definitions with the Worker.",
      severity: "error",
      from: { path: "^src/(local|cli)/" },
      to: { path: "^src/", pathNot: ["^src/(local|cli|ports|jobs)/"] },
    },
    {
      name: "env-is-below-everything",
      comment: "The Worker's bindings are named with ground-floor types only.",
      severity: "error",
      from: { path: "^src/env\\.ts$" },
      to: { path: "^src/", pathNot: ["^src/jobs/", "^src/ports/"] },
    },
    {
      name: "no-cycles",
      severity: "error",
      from: { path: "^src/" },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "\\.wrangler/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { exportsFields: ["exports"], conditionNames: ["import", "require", "node", "default"] },
  },
};
