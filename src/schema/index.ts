import { builder } from "./builder.ts";
import "./image.ts";
import "./images-connection.ts";
import "./signing-key.ts";
import "./stats.ts";
import "./variant.ts";

export const schema = builder.toSchema({ sortSchema: true });
