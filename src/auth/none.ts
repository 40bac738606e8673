import { ALL_SCOPES, type Viewer } from "./viewer.ts";

/** `AUTH_MODE=none`: every request acts with every scope (only with the emulator or an explicit opt-in). */
export const ANONYMOUS: Viewer = Object.freeze({ name: "anonymous", scopes: ALL_SCOPES });
