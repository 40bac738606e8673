// The control of the upload memory figure, run only by `npm run bench -- latency`: the same upstream client behind
// graphql-yoga's own multipart parser, which reads each file whole into memory before the resolver runs.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createSchema, createYoga } from "graphql-yoga";
import { loadConfig } from "../../src/config/index.ts";
import { createImagesApi, RequestBudget, Transport } from "../../src/upstream/index.ts";

const config = loadConfig();
if (!config.upstream) throw new Error("buffering-control needs CLOUDFLARE_API_TOKEN and CLOUDFLARE_ACCOUNT_ID");
const { baseUrl, accountId, token } = config.upstream;
const transport = new Transport({ baseUrl, budget: new RequestBudget(config.budget), ...config.http });
const api = createImagesApi(transport, accountId, token);

const schema = createSchema({
  typeDefs: /* GraphQL */ `
    scalar File
    input UploadImageInput { file: File }
    type UploadImagePayload { imageId: ID! }
    type Query { ok: Boolean }
    type Mutation { uploadImage(input: UploadImageInput!): UploadImagePayload! }
  `,
  resolvers: {
    Mutation: {
      uploadImage: async (_root: unknown, { input }: { input: { file: File } }) => {
        const { file } = input;
        const stream = file.stream() as unknown as AsyncIterable<Uint8Array>;
        const image = await api.images.upload({ file: { filename: file.name, contentType: file.type, stream } });
        return { imageId: image.id };
      },
    },
  },
});

const server = createServer(createYoga({ schema, logging: false }));
server.listen(0, "127.0.0.1", () => {
  console.log(`GraphiQL: http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`);
});
