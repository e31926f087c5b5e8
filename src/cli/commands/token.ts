/**
 * `nightshift token create [--identity who] --roles r1,r2 [--label l] [--expires-days n]`,
 * `nightshift token revoke <id>`, `nightshift token list`. The secret is printed
 * once, at creation; only its hash is stored.
 */
import type { Command } from "../command.ts";
import { UserError } from "../errors.ts";
import { apiCommand, EXIT, positional, table, text } from "../output.ts";

const USAGE =
  "nightshift token create [--identity who] --roles viewer,approver,admin,legal [--label l] [--expires-days n] | token revoke <id> | token list";

interface TokenView {
  id: string;
  identity: string;
  roles: string[];
  label: string | null;
  revokedAt: number | null;
  expiresAt: number | null;
}

export const token: Command = {
  run: (input) =>
    apiCommand(input, async (io, values, positionals) => {
      const action = positional(positionals, 0, "create|revoke|list", USAGE);
      if (action === "create") {
        const roles = text(values.roles)
          ?.split(",")
          .map((r) => r.trim())
          .filter(Boolean);
        if (!roles?.length) throw new UserError(`token create needs --roles; usage: ${USAGE}`);
        const days = text(values["expires-days"]);
        if (days !== undefined && !/^\d+$/.test(days))
          throw new UserError("--expires-days must be a whole number");
        const identity = text(values.identity);
        const label = text(values.label);
        const body = await io.client.request<TokenView & { token: string }>("POST", "/api/tokens", {
          roles,
          ...(identity ? { identity } : {}),
          ...(label ? { label } : {}),
          ...(days ? { expiresInDays: Number(days) } : {}),
        });
        io.emit(body);
        io.say(body.token);
        if (!io.json)
          console.error(
            `token ${body.id} for ${body.identity} (${body.roles.join(", ")}): shown once, keep it safe`,
          );
        return EXIT.ok;
      }
      if (action === "revoke") {
        const id = positional(positionals, 1, "id", USAGE);
        const body = await io.client.request("DELETE", `/api/tokens/${encodeURIComponent(id)}`);
        io.emit(body);
        io.say(`revoked ${id}`);
        return EXIT.ok;
      }
      if (action === "list") {
        const body = await io.client.request<{ tokens: TokenView[] }>("GET", "/api/tokens");
        io.emit(body);
        io.say(
          table([
            ["ID", "IDENTITY", "ROLES", "LABEL", "STATE"],
            ...body.tokens.map((t) => [
              t.id,
              t.identity,
              t.roles.join(","),
              t.label ?? "",
              t.revokedAt ? "revoked" : t.expiresAt && t.expiresAt < Date.now() ? "expired" : "live",
            ]),
          ]),
        );
        return EXIT.ok;
      }
      throw new UserError(`unknown token action "${action}"; usage: ${USAGE}`);
    }),
};
