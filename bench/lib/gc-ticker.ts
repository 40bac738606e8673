// Bench-only instrumentation, loaded with `node --expose-gc --import`: collects garbage every 20 ms so
// that resident memory shows what the server really holds, not what V8 has yet to collect.
const collect = (globalThis as { gc?: () => void }).gc;
if (!collect) throw new Error("gc-ticker needs node --expose-gc");
setInterval(collect, 20).unref();
