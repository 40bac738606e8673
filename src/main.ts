// The process entry point. The compile cache goes on before anything else loads: code compiled
// once, TypeScript's stripped output included, is read back from disk on the next start instead of
// being stripped and compiled again (a third of the start-up, and the stripper's 20 MB of memory).
// NODE_COMPILE_CACHE picks its folder, NODE_DISABLE_COMPILE_CACHE=1 turns it off.
import { enableCompileCache } from "node:module";

enableCompileCache();
// V8 sizes its heap once, at start: when the memory limit asks for other flags, node runs again with them.
const { loadLaunchConfig } = await import("./config/memory.ts");
const { relaunchSizedForMemory } = await import("./memory/launch.ts");
relaunchSizedForMemory(loadLaunchConfig());
await import("./start.ts");
