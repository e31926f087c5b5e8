import { ApiError } from "../web/errors.ts";
import { isAutomationIdentity, type Principal } from "../web/roles.ts";

/**
 * Who a decision (or sign-off, or cancel) is recorded under. Identity comes from
 * authentication. The body's `by` may repeat it; naming anyone else is refused
 * (403), except for the bootstrap token, the operator's root credential from
 * configuration, which may record a named person (scripts, tests) since it can
 * mint that person's token anyway. Nobody's `by` may name the run's automation.
 */
export function deciderOf(principal: Principal, by: string | undefined): Principal {
  if (by === undefined) return principal;
  if (isAutomationIdentity(by))
    throw new ApiError(
      "forbidden",
      `"${by}" is reserved for automation; a person never acts as it`,
      "body.by",
    );
  if (by.trim().toLowerCase() === principal.identity.toLowerCase()) return principal;
  if (principal.via !== "bootstrap")
    throw new ApiError(
      "forbidden",
      `${principal.identity} may not act as "${by}": decisions are recorded under the caller's own identity (leave out "by")`,
      "body.by",
    );
  return { ...principal, identity: by.trim() };
}
