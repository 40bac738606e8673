import type { EmulatorContext } from "../context.ts";
import { apiErrors } from "../errors.ts";
import { envelope, type Router } from "../http.ts";
import { newSigningKeyValue, type SigningKeyRecord } from "../state.ts";

const KEYS = "/accounts/{account_id}/images/v1/keys";
const KEY = `${KEYS}/{signing_key_name}`;

/** The spec caps names at 20 characters; the charset is this emulator's choice. */
const KEY_NAME = /^[A-Za-z0-9_-]{1,20}$/;
/** The name the service gives the key it generates when the last one is deleted (UNCONFIRMED upstream). */
const REGENERATED_KEY_NAME = "default";

export function registerKeyRoutes(router: Router<EmulatorContext>): void {
  router
    .add("GET", KEYS, async (_request, _params, ctx) => envelope({ keys: ctx.state.keys }))
    .add("PUT", KEY, putKey)
    .add("DELETE", KEY, deleteKey);
}

/** Creates the key, or gives an existing one a fresh value (rotation), keeping its place in the list. */
async function putKey(_request: Request, params: Record<string, string>, ctx: EmulatorContext): Promise<Response> {
  const name = params.signing_key_name ?? "";
  if (!KEY_NAME.test(name)) {
    throw apiErrors.badRequest("Signing key names are 1 to 20 characters of A-Z, a-z, 0-9, '_' and '-'");
  }
  const key: SigningKeyRecord = { name, value: newSigningKeyValue() };
  const keys = await ctx.state.write(() => {
    const index = ctx.state.keys.findIndex((k) => k.name === name);
    ctx.state.keys = index === -1 ? [...ctx.state.keys, key] : ctx.state.keys.with(index, key);
    return ctx.state.keys;
  });
  return envelope({ keys });
}

async function deleteKey(_request: Request, params: Record<string, string>, ctx: EmulatorContext): Promise<Response> {
  const name = params.signing_key_name ?? "";
  const keys = await ctx.state.write(() => {
    if (!ctx.state.keys.some((k) => k.name === name)) throw apiErrors.signingKeyNotFound();
    const remaining = ctx.state.keys.filter((k) => k.name !== name);
    // An account always has a key: deleting the last one makes the service generate a new default.
    ctx.state.keys = remaining.length > 0 ? remaining : [{ name: REGENERATED_KEY_NAME, value: newSigningKeyValue() }];
    return ctx.state.keys;
  });
  return envelope({ keys });
}
