// The job's verification command: exits 1 with a message the fix round must read.
import { sum } from "./sum.mjs";

const got = sum(2, 3);
if (got !== 5) {
  console.log(`expected 5, got ${got}`);
  process.exit(1);
}
console.log("sum(2, 3) = 5");
