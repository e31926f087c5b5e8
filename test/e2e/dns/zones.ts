/** The zones of the DNS end-to-end test: the organisation's, and a lookalike of it. */
export const ZONE = "superseal.club";
export const LOOKALIKE_ZONE = "superseal.cc";
