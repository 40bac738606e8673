import { describe, expect, it } from "vitest";
import { flexibleVariantSlot, flexibleVariantUrl } from "../../src/delivery.ts";

describe("flexible-variant URLs", () => {
  it("writes options in one fixed order, whatever order they were given in", () => {
    expect(flexibleVariantSlot({ fit: "cover", quality: 80, width: 320 })).toBe("w=320,fit=cover,q=80");
    expect(flexibleVariantSlot({ width: 320, quality: 80, fit: "cover" })).toBe("w=320,fit=cover,q=80");
  });

  it("writes numbers in plain decimal notation, never exponents", () => {
    expect(flexibleVariantSlot({ brightness: 1e-7, dpr: 1.23456, sharpen: 10 })).toBe(
      "dpr=1.235,sharpen=10,brightness=0",
    );
    expect(flexibleVariantSlot({ anim: false })).toBe("anim=false");
  });

  it("replaces the last path segment only, and drops any signature", () => {
    const url = flexibleVariantUrl("https://imagedelivery.net/hash/a/b/c.png/public?exp=1&sig=ab", {
      width: 10,
      fit: "pad",
    });
    expect(url).toBe("https://imagedelivery.net/hash/a/b/c.png/w=10,fit=pad");
  });
});
