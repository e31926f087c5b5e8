/** `nightshift reject <run> <gate> --reason r` (see ../decision.ts). */
import { decisionCommand } from "../decision.ts";

export const reject = decisionCommand("reject");
