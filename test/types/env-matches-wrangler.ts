/**
 * Type-level check, compiled by `npm run typecheck` with tsconfig.worker-types.json: the
 * bindings `wrangler types` generates from wrangler.jsonc (worker-configuration.d.ts, committed
 * and checked fresh by test/cli/operations.test.ts) are all in src/env.ts's `Env`, each with a
 * type the generated one fits. A binding added to wrangler.jsonc but not to `Env`, or typed
 * differently, fails the typecheck here.
 */
import type { Env } from "../../src/env.ts";

type Generated = __BaseEnv_Env;
type Missing = Exclude<keyof Generated, keyof Env>;
type Misfit = {
  [K in keyof Generated]: K extends keyof Env
    ? Generated[K] extends NonNullable<Env[K]>
      ? never
      : K
    : never;
}[keyof Generated];

export const everyBindingIsInEnv: [Missing] extends [never] ? true : { missingFromEnv: Missing } = true;
export const everyBindingFits: [Misfit] extends [never] ? true : { typedDifferently: Misfit } = true;
