/**
 * What the emulator says about resources a temporary account does not have
 * (temporary-account-support.json, `supported: false`): their API prefixes
 * answer 403 in Cloudflare's envelope, and a Worker upload with such a binding
 * is refused naming the binding, instead of a routing 404 or a Worker that
 * finds `env.X` undefined. Pure.
 */
import {
  resourceForApiPath,
  resourceForUploadType,
  type TemporaryAccountResource,
} from "../../jobs/temporary-account-support.ts";
import { CfApiError } from "./envelope.ts";

/** R2's "not enabled on this account" code, used for every resource the account cannot have. */
export const NOT_AVAILABLE_CODE = 10042;

/** Code for an upload refused for what it binds (Cloudflare's script validation code). */
export const BINDING_REFUSED_CODE = 10021;

/** The unsupported resource an API path (below `/client/v4`) manages, if any. */
export function unsupportedResourceForPath(path: string): TemporaryAccountResource | undefined {
  const resource = resourceForApiPath(path);
  return resource && !resource.supported ? resource : undefined;
}

export function notAvailableMessage(resource: TemporaryAccountResource, temporary: boolean): string {
  return temporary
    ? `${resource.name} is not available on a temporary account; claim the account to use it`
    : `${resource.name} is not available in the local emulator: it emulates what temporary accounts support`;
}

export function notAvailableError(resource: TemporaryAccountResource, temporary: boolean): CfApiError {
  return new CfApiError(403, NOT_AVAILABLE_CODE, notAvailableMessage(resource, temporary));
}

/** Why a binding cannot be uploaded, or null when its type is one a temporary account supports (or unknown). */
export function unsupportedBindingError(binding: { name: string; type: string }): string | null {
  const resource = resourceForUploadType(binding.type);
  if (!resource || resource.supported) return null;
  return `Binding ${binding.name} (type "${binding.type}") needs ${resource.name}, which is not available on a temporary account`;
}

/** Refuses an upload whose metadata binds an unsupported resource (first such binding named). */
export function refuseUnsupportedBindings(bindings: readonly { name: string; type: string }[]): void {
  for (const binding of bindings) {
    const error = unsupportedBindingError(binding);
    if (error) throw new CfApiError(400, BINDING_REFUSED_CODE, error);
  }
}
