// The import rules of DESIGN §1/§2, checked by `npm run lint` (depcruise src): requests flow one
// way, each layer imports only the ones below it, and the emulator shares nothing with the client.
const LOWER = "^src/(upstream|cache|pagination|config|catalogue|facts|jobs|memory)/";
const UPPER = "^src/(schema|plugins|live|uploads)/|^src/(app|start|main|server|context|loaders)\\.ts$";

module.exports = {
  forbidden: [
    {
      name: "no-circular",
      comment: "An import circle outside the emulator: two modules that each need the other are one idea.",
      severity: "error",
      from: { path: "^src/", pathNot: "^src/emulator/" },
      to: { circular: true },
    },
    {
      name: "no-upward-import",
      comment:
        "The REST client, the cache, pagination, the configuration and the services below the schema (catalogue, facts, jobs, memory) know nothing of the layers above.",
      severity: "error",
      from: { path: LOWER },
      to: { path: UPPER },
    },
    {
      name: "writes-below-schema",
      comment: "The write path serves the schema and feeds live subscriptions: it imports neither.",
      severity: "error",
      from: { path: "^src/writes/" },
      to: { path: "^src/(schema|plugins|live)/|^src/(app|start|main|server|context)\\.ts$" },
    },
    {
      name: "upstream-below-cache",
      comment: "The transport and the resources are the bottom layer: no cache, pagination or config.",
      severity: "error",
      from: { path: "^src/upstream/" },
      to: { path: "^src/(cache|pagination|config)/" },
    },
    {
      name: "schema-not-below",
      comment: "Nothing below the schema reaches up into its Pothos types and resolvers.",
      severity: "error",
      from: { path: "^src/", pathNot: "^src/(schema/|app\\.ts$)|^src/plugins/" },
      to: { path: "^src/schema/" },
    },
    {
      name: "emulator-is-independent",
      comment: "The emulator is an independent implementation of the upstream: at most the wire types are shared.",
      severity: "error",
      from: { path: "^src/emulator/" },
      to: { path: "^src/", pathNot: "^src/emulator/|^src/upstream/(wire|http-types)\\.ts$" },
    },
    {
      name: "client-without-emulator",
      comment: "A server with real credentials never loads the emulator: only start.ts imports it, lazily.",
      severity: "error",
      from: { path: "^src/", pathNot: "^src/emulator/|^src/start\\.ts$" },
      to: { path: "^src/emulator/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "node_modules" },
    parser: "swc",
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { extensions: [".ts", ".js"] },
  },
};
