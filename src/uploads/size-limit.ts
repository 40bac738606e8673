/** Passes a stream through while counting; past `maxBytes` it fails, which aborts whatever is sending it. */
export function sizeLimited(
  source: AsyncIterable<Uint8Array>,
  maxBytes: number,
): { stream: AsyncIterable<Uint8Array>; readonly exceeded: boolean } {
  let exceeded = false;
  async function* counted(): AsyncGenerator<Uint8Array> {
    let total = 0;
    for await (const chunk of source) {
      total += chunk.byteLength;
      if (total > maxBytes) {
        exceeded = true;
        throw new Error(`The file is over ${maxBytes} bytes`);
      }
      yield chunk;
    }
  }
  return {
    stream: counted(),
    get exceeded() {
      return exceeded;
    },
  };
}
