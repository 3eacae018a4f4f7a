import { defineConfig } from "vitest/config";

// Two projects (docs/testing.md): "packages" runs each workspace's tests on its sources;
// "cross-package" runs test/ on the builds, rebuilt first where older than their sources
// (test/freshBuild.ts), so a plain `npx vitest run` never tests stale code.
export default defineConfig({
  test: {
    exclude: ["**/node_modules/**", "**/dist/**"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    projects: [
      {
        extends: true,
        test: {
          name: "packages",
          include: ["kernel-lib/**/*.test.ts", "widgets/**/*.test.ts", "labextension/**/*.test.ts"],
        },
      },
      {
        extends: true,
        test: {
          name: "cross-package",
          include: ["test/**/*.test.ts"],
          globalSetup: ["test/freshBuild.ts"],
        },
      },
    ],
  },
});
