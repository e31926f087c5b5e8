// The function the agent must write.
export function sum(_a, _b) {
  throw new Error("not implemented");
}
