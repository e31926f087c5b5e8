/**
 * The layering rules of docs/architecture.md ("Dependency rules"), checked on every `npm test`
 * (`npm run rules`): an import that breaks one fails the suite.
 */
const rooms = (names) => `^src/(${names.join("|")})/`;
const files = (names) => `^src/(${names.join("|")})\\.ts$`;

/** A rule: code under `from` imports nothing in the rooms and top-level files named. */
function forbid(name, comment, from, { rooms: upper = [], files: top = [], paths = [] }) {
  const path = [...(upper.length ? [rooms(upper)] : []), ...(top.length ? [files(top)] : []), ...paths];
  return { name, comment, severity: "error", from, to: { path } };
}

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
    forbid("ports-are-contracts", "Ports are interfaces and schemas: no implementation, no upper room.", { path: "^src/ports/" }, {
      rooms: ["adapters", "local", "cli", "run", "gates", "control", "api", "ui", "web", "store"],
      files: ["worker", "wiring", "env"],
    }),
    forbid("store-is-below-its-callers", "D1 access knows nothing of who calls it.", { path: "^src/store/" }, {
      rooms: ["adapters", "local", "cli", "run", "gates", "control", "api", "ui", "web"],
      files: ["worker", "wiring"],
    }),
    forbid("gates-are-called-not-calling", "src/gates/ is called by run/, control/, api/ and ui/, never the reverse.", { path: "^src/gates/" }, {
      rooms: ["adapters", "local", "cli", "run", "control", "api", "ui"],
      files: ["worker", "wiring"],
    }),
    forbid("web-is-shared-below", "What the API and the inbox share (sign-in, roles, signing, errors, the event stream) imports neither.", { path: "^src/web/" }, {
      rooms: ["adapters", "local", "cli", "run", "gates", "control", "api", "ui"],
      files: ["worker", "wiring"],
    }),
    forbid("control-does-not-serve-http", "Control (start, cancel, the sweeper, schedules) is called by the API, the inbox and the scheduler.", { path: "^src/control/" }, {
      rooms: ["api", "ui", "cli", "local"],
      files: ["worker"],
    }),
    forbid("run-is-below-the-edges", "The Workflow does not reach the HTTP side or the control room.", { path: "^src/run/" }, {
      rooms: ["api", "ui", "control", "cli", "local"],
      files: ["worker"],
    }),
    forbid("adapters-implement-ports-only", "An adapter gets what it needs from src/wiring.ts: no D1 room, no HTTP room, no Env.", { path: "^src/adapters/" }, {
      rooms: ["store", "api", "ui", "web", "run", "gates", "control", "local", "cli"],
      files: ["env", "wiring", "worker"],
    }),
    forbid("ui-and-api-are-siblings", "The inbox and the API share src/web/; src/site.ts mounts both.", { path: "^src/ui/" }, {
      rooms: ["api"],
      paths: ["^src/loop/machine\\.ts$"],
    }),
    forbid("api-and-ui-are-siblings", "src/site.ts mounts both.", { path: "^src/api/" }, { rooms: ["ui"] }),
    forbid("worker-code-is-not-node-code", "Worker code never imports the Node-only hosts or the CLI.", { path: "^src/", pathNot: ["^src/(local|cli)/"] }, {
      rooms: ["local", "cli"],
    }),
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
      comment:
        "No import cycles. One through a lazy import() is not one at load time, and is allowed: the CLI's verb table loads each command that way, and `completion` reads the table.",
      severity: "error",
      from: { path: "^src/" },
      to: { circular: true, viaOnly: { dependencyTypesNot: ["dynamic-import"] } },
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
