/** `nightshift approve <run> <gate> [--reason r] [--shown-hash h]` (see ../decision.ts). */
import { decisionCommand } from "../decision.ts";

export const approve = decisionCommand("approve");
