// The framework floor of `npm run bench`: yoga on the same client schema, with the same context,
// loaders, upstream client and budget as the server, and none of the project's plugins (no auth,
// limits, cost checks, logs, metrics, masking policy). What the server costs over this is ours.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createYoga } from "graphql-yoga";
import { ALL_SCOPES } from "../../src/auth/index.ts";
import { Catalogue } from "../../src/catalogue/catalogue.ts";
import { createKeysetCursorCodec } from "../../src/catalogue/keyset-cursor.ts";
import { loadConfig } from "../../src/config/index.ts";
import { type Context, createContext, resolverSettings } from "../../src/context.ts";
import { BulkJobs } from "../../src/jobs/index.ts";
import { createLive } from "../../src/live/index.ts";
import { createLogger } from "../../src/logger.ts";
import { createCursorCodec } from "../../src/pagination/cursor.ts";
import { InMemoryTokenChainMemo } from "../../src/pagination/token-chain.ts";
import { clientSchema } from "../../src/schema/index.ts";
import { createImagesApi, SharedBudget, Transport } from "../../src/upstream/index.ts";
import { createChangeEvents, createWrites } from "../../src/writes/index.ts";

const config = loadConfig();
const upstream = config.upstream;
if (!upstream) throw new Error("the floor server needs CLOUDFLARE_API_TOKEN and CLOUDFLARE_ACCOUNT_ID");
const budget = new SharedBudget({ ...config.budget, accountId: upstream.accountId });
const transport = new Transport({ baseUrl: upstream.baseUrl, budget, ...config.http });
const settings = resolverSettings(config);
const pagination = { cursors: createCursorCodec(upstream.token), memo: new InMemoryTokenChainMemo() };
const live = createLive(config.live, { redisUrl: config.redisUrl });
const writes = createWrites(createChangeEvents((error) => console.error(error)));
writes.events.on(live.onImageChange);
const viewer = { name: "floor", scopes: ALL_SCOPES };

// The floor serves what the upstream list can: no catalogue.
const catalogue = {
  catalogue: new Catalogue({
    config: { ...config.catalogue, enabled: false },
    api: createImagesApi(transport, upstream.accountId, upstream.token),
    forwardMode: false,
    logger: createLogger("silent"),
    changes: writes.events,
  }),
  cursors: createKeysetCursorCodec(upstream.token),
};

// Nor bulk jobs: without a catalogue store they are refused.
const jobs = new BulkJobs({
  config: config.jobs,
  catalogue: undefined,
  durable: { dir: undefined, databaseUrl: undefined },
  forwardMode: false,
  writes,
  apiFor: () => createImagesApi(transport, upstream.accountId, upstream.token),
  logger: createLogger("silent"),
});

const yoga = createYoga<object, Context>({
  schema: clientSchema,
  context: ({ request }) =>
    createContext({
      api: createImagesApi(transport, upstream.accountId, upstream.token, { signal: request.signal }),
      settings,
      viewer,
      upstreamToken: undefined,
      loaderConcurrency: config.loaderConcurrency,
      pagination,
      live,
      catalogue,
      writes,
      jobs,
    }),
  landingPage: false,
  graphiql: false,
  logging: false,
  // yoga at its leanest: its own body cap pipes every body through a stream (the server does without it too).
  maxRequestBodySize: false,
});

const server = createServer(yoga);
server.listen(0, "127.0.0.1", () => {
  const { port } = server.address() as AddressInfo;
  // The line bench/lib/server-process.ts waits for.
  console.log(`GraphiQL: http://127.0.0.1:${port}/graphql`);
});
process.once("SIGTERM", () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
