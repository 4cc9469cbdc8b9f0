// Tests that run the real `leakwatch` command need dist/: build it once per test run.
// LEAKWATCH_TEST_NO_BUILD=1 skips the build when dist/ is known to be current (a developer's inner loop).
import { execFileSync } from "node:child_process";

export default function setup(): void {
  if (process.env.LEAKWATCH_TEST_NO_BUILD === "1") return;
  execFileSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.build.json"], { stdio: "inherit" });
}
