import { GraphQLError } from "graphql";
import { IncomingUpload } from "../uploads/incoming-upload.ts";
import { builder } from "./builder.ts";

builder.scalarType("Upload", {
  description: "A file sent with the GraphQL multipart request spec; its bytes are streamed, never held whole.",
  serialize: () => {
    throw new GraphQLError("Upload is an input-only scalar.");
  },
  parseValue: (value) => {
    if (value instanceof IncomingUpload) return value;
    throw new GraphQLError("Upload must be a file part of a multipart request (GraphQL multipart request spec).");
  },
  parseLiteral: () => {
    throw new GraphQLError("Upload cannot be written inline: send it as a variable of a multipart request.");
  },
});
