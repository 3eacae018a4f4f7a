/**
 * The heatmap in headless Chromium: what the DOM and the pixels show must be what the payload
 * holds (labels, tooltip values, the brightest pixel), and the selectors, the special-token toggle
 * and token focus change it as asked.
 */
import { describe, expect, it } from "vitest";
import { mapAt } from "../../widgets/src/payload/maps";
import type { AttentionPayload } from "../../widgets/src/payload/types";
import { formatWeight } from "../../widgets/src/view/tooltip";
import { afterUpdate } from "./harness";
import { caption, cellsBox, hoverCell, MAIN, rasterHref, texts, useBrowser } from "./pages";
import { payloadOf } from "./payloads";
import { brightestPixel, readPng } from "./pngRead";

const open = useBrowser();

describe("heatmap", () => {
  const payload = payloadOf({ layers: 3, heads: 6, tokens: 12, lengths: [12, 9] });
  const tokens = payload.tokens.source!.text;

  it("labels the axes with the tokens (padding left out)", async () => {
    const page = await open(payload);
    expect(await texts(page, `${MAIN} g.heat_xlabels_marks text`)).toEqual(tokens[0]);
    expect(await texts(page, `${MAIN} g.heat_ylabels_marks text`)).toEqual(tokens[0]);
    await afterUpdate(page, () => page.selectOption("select[name=sample]", "1").then(() => undefined));
    expect(await texts(page, `${MAIN} g.heat_xlabels_marks text`)).toEqual(tokens[1].slice(0, 9));
  });

  it("shows both tokens and the payload's value in the tooltip", async () => {
    const page = await open(payload, { selection: { layer: 0, head: 4 } });
    const map = mapAt(payload.sites[0].maps!, 0, 4);
    for (const [r, c] of [
      [0, 0],
      [3, 7],
      [11, 2],
    ]) {
      await hoverCell(page, r, c, 12, 12);
      const tip = page.locator(".attnlens-tooltip");
      await expect.poll(() => tip.textContent()).toContain(`weight: ${formatWeight(map[r * 12 + c])}`);
      const text = (await tip.textContent()) ?? "";
      expect(text).toContain(`target [${r}]: ${tokens[0][r]}`);
      expect(text).toContain(`source [${c}]: ${tokens[0][c]}`);
      expect(await tip.isVisible()).toBe(true);
    }
  });

  it("puts the brightest pixel where the maximum weight is", async () => {
    const page = await open(payload, { selection: { layer: 1, head: 3 } });
    const map = mapAt(payload.sites[1].maps!, 0, 3);
    const box = await cellsBox(page);
    const shot = readPng(await page.screenshot({ clip: box }));
    const { at, luminance: best } = brightestPixel(shot);
    const c = Math.floor(((at[0] + 0.5) / shot.width) * 12);
    const r = Math.floor(((at[1] + 0.5) / shot.height) * 12);
    expect(map[r * 12 + c]).toBe(Math.max(...map));
    expect(best).toBeGreaterThan(200); // viridis yellow
  });

  it("changes the view when a layer or head is selected", async () => {
    const page = await open(payload);
    const before = await rasterHref(page);
    await afterUpdate(page, () => page.selectOption("select[name=head]", "2").then(() => undefined));
    expect(await caption(page)).toContain("layer 0 · head 2");
    const afterHead = await rasterHref(page);
    expect(afterHead).not.toBe(before);
    await afterUpdate(page, () => page.selectOption("select[name=layer]", "2").then(() => undefined));
    expect(await caption(page)).toContain("layer 2 · head 2");
    expect(await rasterHref(page)).not.toBe(afterHead);
    await afterUpdate(page, () => page.selectOption("select[name=aggregate]", "mean").then(() => undefined));
    expect(await caption(page)).toContain("layer 2 · mean of heads");
    expect(await page.isDisabled("select[name=head]")).toBe(true);
  });

  it("hides special tokens and renormalizes the rows", async () => {
    const page = await open(payload, { selection: { layer: 0, head: 4 } });
    await afterUpdate(page, () => page.check("input[name=hideSpecial]"));
    const labels = await texts(page, `${MAIN} g.heat_xlabels_marks text`);
    expect(labels).toEqual(tokens[0].slice(1, 11));
    const map = mapAt(payload.sites[0].maps!, 0, 4);
    const row = Array.from(map.subarray(2 * 12 + 1, 2 * 12 + 11));
    const sum = row.reduce((a, b) => a + b);
    await hoverCell(page, 1, 3, 10, 10);
    await expect.poll(() => page.textContent(".attnlens-tooltip")).toContain(`weight: ${formatWeight(row[3] / sum)}`);
  });

  it("highlights a token's row and column on hover, and keeps it on click", async () => {
    const page = await open(payload);
    const focusRects = () => page.$$eval(`${MAIN} g.heat_focus_marks path`, (els) => els.length);
    const label = page.locator(`${MAIN} g.heat_xlabels_marks text`).nth(5);
    await label.hover();
    await expect.poll(focusRects).toBe(2);
    const fill = await page.$$eval(`${MAIN} g.heat_xlabels_marks text`, (els) =>
      els.map((e) => e.getAttribute("fill")),
    );
    expect(new Set(fill).size).toBe(2); // the focused label has its own colour
    await label.click();
    await page.mouse.move(2, 2);
    await page.waitForTimeout(100);
    expect(await focusRects()).toBe(2);
    await label.click();
    await page.mouse.move(2, 2);
    await expect.poll(focusRects).toBe(0);
  });
});

describe("a real extraction", () => {
  it("shows the three attention types of an encoder–decoder fixture; cross-attention has decoder rows × encoder columns", async () => {
    const { openModel } = await import("../../kernel-lib/src/run/openModel");
    const { loadFixture } = await import("../../kernel-lib/test/fixtureFiles");
    const { encodePayload } = await import("../../kernel-lib/src/output/payload");
    const fx = loadFixture("t5_like");
    const model = await openModel(fx.modelPath, { providers: ["cpu"] });
    const result = await model.run(fx.feeds);
    await model.release();
    const payload = JSON.parse(JSON.stringify(encodePayload(result, { title: "t5_like" }))) as AttentionPayload;
    const page = await open(payload);
    const types = await page.$$eval("select[name=type] option", (os) => os.map((o) => (o as HTMLOptionElement).value));
    expect(types).toEqual(["encoder.self", "decoder.self", "decoder.cross"]);
    await afterUpdate(page, () => page.selectOption("select[name=type]", "decoder.cross").then(() => undefined));
    expect(await caption(page)).toContain("cross-attention · layer 0 · head 0");
    // Sample 0: 6 decoder rows, 8 encoder columns (no padding); labels are positions (no tokenizer).
    expect(await texts(page, `${MAIN} g.heat_ylabels_marks text`)).toEqual(["0", "1", "2", "3", "4", "5"]);
    expect(await texts(page, `${MAIN} g.heat_xlabels_marks text`)).toHaveLength(8);
    const cross = payload.sites.find((s) => s.id === "decoder.cross.0")!;
    await hoverCell(page, 4, 6, 6, 8);
    await expect
      .poll(() => page.textContent(".attnlens-tooltip"))
      .toContain(`weight: ${formatWeight(mapAt(cross.maps!, 0, 0)[4 * 8 + 6])}`);
  });
});
