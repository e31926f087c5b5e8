/**
 * Pure: turning an argv into one POSIX shell command line, for backends whose
 * exec takes a string (`@cloudflare/sandbox`). Every argument is single-quoted
 * unless it is made only of characters the shell never interprets.
 */
export function shellQuote(arg: string): string {
  if (arg !== "" && /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function toShellCommand(command: string | readonly string[]): string {
  return typeof command === "string" ? command : command.map(shellQuote).join(" ");
}
