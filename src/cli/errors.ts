/** CLI error vocabulary: a UserError is the caller's fault and prints as one line. */
export class UserError extends Error {
  override readonly name = "UserError";
}

export function isUserError(error: unknown): error is UserError {
  return error instanceof UserError;
}
