import { defineConfig } from "vitest/config";

export default defineConfig({
  // One graphql, as under Node: graphql 16 has no `exports` map, so Vite would load its ESM copy in
  // our sources while yoga loads the CommonJS one, and `instanceof GraphQLError` would fail across them.
  resolve: { alias: [{ find: /^graphql$/, replacement: "graphql/index.js" }] },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
  },
});
