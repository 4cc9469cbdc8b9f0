import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration tests share the machine's cgroup tree and CPU; running files in parallel on 2 cores makes
    // timing-sensitive soak tests flaky, so files run one at a time.
    fileParallelism: false,
    reporters: ["default"],
  },
});
