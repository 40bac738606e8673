/**
 * Canonical prefix (Huffman) codes of limited length, as VP8L and deflate use them: only the code
 * lengths are transmitted, and codes are handed out in order of length, then symbol.
 */
export interface PrefixCode {
  lengths: number[];
  /** Codes with their bits reversed, ready for a least-significant-bit-first writer. */
  reversedCodes: number[];
}

/** Code lengths (at most `maxLength`) for a histogram; unused symbols get 0. */
export function codeLengths(histogram: readonly number[], maxLength: number): number[] {
  let counts = [...histogram];
  for (let floor = 1; ; floor *= 2) {
    const lengths = huffmanLengths(counts);
    if (Math.max(...lengths) <= maxLength) return lengths;
    // Too deep: raise the rare symbols' counts, which flattens the tree, and try again.
    counts = counts.map((count) => (count > 0 ? Math.max(count, floor) : 0));
  }
}

export function canonicalCode(lengths: readonly number[]): PrefixCode {
  const maxLength = Math.max(0, ...lengths);
  const perLength = new Array<number>(maxLength + 1).fill(0);
  for (const length of lengths) if (length > 0) perLength[length] = (perLength[length] ?? 0) + 1;
  const nextCode = new Array<number>(maxLength + 1).fill(0);
  for (let length = 1, code = 0; length <= maxLength; length++) {
    code = (code + (perLength[length - 1] ?? 0)) << 1;
    nextCode[length] = code;
  }
  const reversedCodes = lengths.map((length) => {
    if (length === 0) return 0;
    const code = nextCode[length] ?? 0;
    nextCode[length] = code + 1;
    return reverseBits(code, length);
  });
  return { lengths: [...lengths], reversedCodes };
}

/** Plain Huffman code lengths, built with the two-queue method (leaves sorted once, merged nodes in order). */
function huffmanLengths(counts: readonly number[]): number[] {
  const lengths = new Array<number>(counts.length).fill(0);
  const leaves = counts.flatMap((count, symbol) => (count > 0 ? [symbol] : []));
  leaves.sort((a, b) => (counts[a] ?? 0) - (counts[b] ?? 0) || a - b);
  if (leaves.length === 1) lengths[leaves[0] ?? 0] = 1;
  if (leaves.length <= 1) return lengths;
  // Nodes 0..n-1 are the leaves in weight order; every merge appends a node, so parents follow children.
  const weights = leaves.map((symbol) => counts[symbol] ?? 0);
  const parents: number[] = [];
  let nextLeaf = 0;
  let nextMerged = leaves.length;
  const lightest = () => {
    const leafFirst =
      nextLeaf < leaves.length &&
      (nextMerged >= weights.length || (weights[nextLeaf] ?? 0) <= (weights[nextMerged] ?? 0));
    return leafFirst ? nextLeaf++ : nextMerged++;
  };
  while (weights.length < 2 * leaves.length - 1) {
    const a = lightest();
    const b = lightest();
    parents[a] = weights.length;
    parents[b] = weights.length;
    weights.push((weights[a] ?? 0) + (weights[b] ?? 0));
  }
  const depths = new Array<number>(weights.length).fill(0);
  for (let node = weights.length - 2; node >= 0; node--) depths[node] = (depths[parents[node] ?? 0] ?? 0) + 1;
  leaves.forEach((symbol, node) => {
    lengths[symbol] = depths[node] ?? 0;
  });
  return lengths;
}

function reverseBits(code: number, length: number): number {
  let reversed = 0;
  for (let i = 0; i < length; i++) reversed |= ((code >> i) & 1) << (length - 1 - i);
  return reversed;
}
