import { builder } from "./builder.ts";
import "./image.ts";
import "./images-connection.ts";
import "./signing-key.ts";
import "./stats.ts";
import "./variant.ts";
import "./upload-scalar.ts";
import "./mutation-errors.ts";
import "./upload-image.ts";
import "./image-mutations.ts";
import "./direct-upload.ts";
import "./variant-mutations.ts";
import "./signing-key-mutations.ts";

export const schema = builder.toSchema({ sortSchema: true });
