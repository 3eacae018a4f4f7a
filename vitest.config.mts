import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["kernel-lib/**/*.test.ts", "widgets/**/*.test.ts", "labextension/**/*.test.ts", "test/**/*.test.ts"],
    exclude: ["**/node_modules/**", "**/dist/**"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
