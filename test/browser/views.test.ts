/**
 * The other views in headless Chromium: head grid, metric overview, lines, rollout; hostile tokens;
 * light and dark themes; dispose.
 */
import { describe, expect, it } from "vitest";
import { afterUpdate } from "./harness";
import { caption, hoverCell, texts, useBrowser } from "./pages";
import { HOSTILE, payloadOf } from "./payloads";

const open = useBrowser();

describe("grid and metric overview", () => {
  const payload = payloadOf({ layers: 3, heads: 4, tokens: 10 });

  it("draws one thumbnail per layer × head; hover previews, click opens", async () => {
    const page = await open(payload);
    const thumbs = page.locator(".attnlens-grid g.grid_thumbs_marks image");
    expect(await thumbs.count()).toBe(12);
    const cell = page.locator(".attnlens-grid g.grid_cells_marks path").nth(2 * 4 + 3);
    await afterUpdate(page, () => cell.hover());
    expect(await caption(page)).toContain("layer 2 · head 3");
    expect(await page.inputValue("select[name=layer]")).toBe("0");
    await afterUpdate(page, () => cell.click());
    await page.mouse.move(2, 2);
    await expect.poll(() => caption(page)).toContain("layer 2 · head 3");
    expect(await page.inputValue("select[name=layer]")).toBe("2");
    expect(await page.inputValue("select[name=head]")).toBe("3");
  });

  it("colours heads by metric or pattern, with exact values in the tooltip, and opens a head on click", async () => {
    const page = await open(payload);
    const cells = page.locator(".attnlens-metrics g.metric_cells_marks path");
    expect(await cells.count()).toBe(12);
    await cells.nth(4 + 1).hover();
    const tip = page.locator("#vg-tooltip-element");
    await expect.poll(() => tip.textContent()).toContain(payload.sites[1].metrics!.entropy[1]!.toFixed(4));
    await afterUpdate(page, () => cells.nth(4 + 1).click());
    expect(await caption(page)).toContain("layer 1 · head 1");
    await afterUpdate(page, () => page.selectOption("select[name=metric]", "pattern").then(() => undefined));
    await cells.nth(1).hover();
    await expect.poll(() => tip.textContent()).toContain(payload.sites[0].patterns![1].label);
  });
});

describe("lines and rollout", () => {
  it("draws token-to-token links for short inputs and a message for long ones", async () => {
    const page = await open(payloadOf({ layers: 1, heads: 2, tokens: 8 }), { view: "lines" });
    expect(await page.locator(".attnlens-lines g.lines_links_marks line").count()).toBeGreaterThanOrEqual(8);
    expect(await texts(page, ".attnlens-lines g.lines_targettokens_marks text")).toHaveLength(8);
    const shown = () =>
      page.$$eval(
        ".attnlens-lines g.lines_links_marks line",
        (ls) => ls.filter((l) => Number(l.getAttribute("opacity") ?? 1) > 0).length,
      );
    const all = await shown();
    await page.locator(".attnlens-lines g.lines_targettokens_marks text").nth(3).hover();
    await expect.poll(shown).toBeLessThan(all);
    expect(await shown()).toBeGreaterThan(0);
    const long = await open(payloadOf({ layers: 1, heads: 1, tokens: 80 }, { metrics: false, rollout: false }), {
      view: "lines",
    });
    expect(await long.textContent(".attnlens-lines .attnlens-message")).toContain("up to 64 tokens");
  });

  it("shows the rollout as a heatmap over the input tokens", async () => {
    const payload = payloadOf({ layers: 2, heads: 2, tokens: 9 });
    const page = await open(payload, { view: "rollout" });
    expect(await page.textContent(".attnlens-probe .attnlens-caption")).toContain("attention rollout");
    expect(await texts(page, ".attnlens-probe g.heat_xlabels_marks text")).toEqual(payload.tokens.source!.text[0]);
  });
});

describe("safety", () => {
  it("renders hostile tokens as text and runs nothing", async () => {
    const payload = payloadOf({ layers: 1, heads: 2, tokens: 6, words: HOSTILE }, { title: HOSTILE[1] });
    const page = await open(payload);
    const t = payload.tokens.source!.text[0];
    expect(t.slice(1, 5)).toEqual(HOSTILE);
    await hoverCell(page, 1, 2, 6, 6);
    const tip = page.locator(".attnlens-tooltip");
    await expect.poll(() => tip.textContent()).toContain(`target [1]: ${HOSTILE[0]}`);
    expect(await tip.textContent()).toContain(`source [2]: ${HOSTILE[1]}`);
    expect(await tip.isVisible()).toBe(true);
    expect(await page.locator(".attnlens-title").textContent()).toBe(HOSTILE[1]);
    // vega-tooltip (lines view) escapes too.
    await afterUpdate(page, () => page.click("button[name=view-lines]"));
    await page.locator(".attnlens-lines g.lines_targettokens_marks text").nth(2).hover();
    await expect.poll(() => page.textContent("#vg-tooltip-element")).toContain(HOSTILE[1]);
    await page.waitForTimeout(200);
    const injected = await page.evaluate(() => ({
      imgs: document.querySelectorAll("img").length,
      scripts: document.querySelectorAll("script").length,
      bold: document.querySelectorAll("b").length,
      alerted: (window as unknown as { alerted?: boolean }).alerted ?? false,
    }));
    expect(injected).toEqual({ imgs: 0, scripts: 1, bold: 0, alerted: false });
    expect(await texts(page, ".attnlens-lines g.lines_sourcetokens_marks text")).toContain(HOSTILE[3]);
  });
});

describe("themes", () => {
  const payload = payloadOf({ layers: 1, heads: 1, tokens: 6 }, { metrics: false, rollout: false });

  function luminance(rgb: string): number {
    const [r, g, b] = (rgb.match(/\d+/g) ?? []).slice(0, 3).map((v) => {
      const c = Number(v) / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  }

  for (const theme of ["light", "dark"] as const) {
    it(`${theme}: text contrast ≥ 7:1 on the widget and chart backgrounds`, async () => {
      const page = await open(payload, {}, theme);
      const colors = await page.evaluate(() => {
        const root = getComputedStyle(document.querySelector(".attnlens")!);
        const svgBg = getComputedStyle(document.querySelector(".attnlens-main svg")!).backgroundColor;
        const label = document.querySelector(".attnlens-main g.heat_xlabels_marks text")?.getAttribute("fill");
        return { bg: root.backgroundColor, fg: root.color, svgBg, label };
      });
      const hex = (h: string) => `rgb(${[1, 3, 5].map((i) => Number.parseInt(h.slice(i, i + 2), 16)).join(",")})`;
      const ratio = (a: string, b: string) => {
        const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
        return (x + 0.05) / (y + 0.05);
      };
      expect(ratio(colors.fg, colors.bg)).toBeGreaterThanOrEqual(7);
      expect(ratio(hex(colors.label!), colors.svgBg)).toBeGreaterThanOrEqual(7);
      expect(luminance(colors.bg) < 0.1).toBe(theme === "dark");
    });
  }
});

describe("lifecycle", () => {
  it("dispose removes the views; a bad payload shows a message instead of throwing", async () => {
    const page = await open(payloadOf({ layers: 1, heads: 1, tokens: 5 }));
    await page.evaluate(() => (window as unknown as { dispose: () => void }).dispose());
    expect(await page.locator("#host *").count()).toBe(0);
    const msg = await page.evaluate(() => {
      const host = document.getElementById("host")!;
      const w = (window as unknown as { attnlensWidgets: { render: (...a: unknown[]) => () => void } }).attnlensWidgets;
      w.render(host, { v: 2 });
      return host.textContent;
    });
    expect(msg).toContain("version 2 is not supported");
  });

  it("mount(...).update keeps the root and falls back where the new payload lacks the tab; a bad one shows a message", async () => {
    const withProbes = payloadOf({ layers: 2, heads: 2, tokens: 6 });
    const without = payloadOf({ layers: 3, heads: 2, tokens: 9 }, { rollout: false });
    const page = await open(withProbes);
    const seen = await page.evaluate(
      async ([a, b]) => {
        type Mounted = { update(p: unknown): Promise<void>; dispose(): void };
        const w = (window as unknown as { attnlensWidgets: { mount: (...x: unknown[]) => Mounted } }).attnlensWidgets;
        const host = document.createElement("div");
        document.body.append(host);
        const ready = new Promise((r) => host.addEventListener("attnlens:ready", r, { once: true }));
        const view = w.mount(host, a, { view: "rollout" });
        await ready;
        const root = host.querySelector(".attnlens");
        const pressed = () => host.querySelector('button[aria-pressed="true"]')?.getAttribute("name");
        const first = {
          tab: pressed(),
          rollout: host.querySelector<HTMLButtonElement>('button[name="view-rollout"]')!.disabled,
        };
        await view.update(b);
        const second = {
          same: host.querySelector(".attnlens") === root,
          payloads: root?.getAttribute("data-payloads"),
          tab: pressed(),
          rollout: host.querySelector<HTMLButtonElement>('button[name="view-rollout"]')!.disabled,
          layers: host.querySelectorAll('select[name="layer"] option').length,
        };
        await view.update({ v: 2 });
        const bad = { root: host.querySelectorAll(".attnlens").length, text: host.textContent };
        await view.update(a);
        const again = host.querySelectorAll('.attnlens[data-ready="true"]').length;
        view.dispose();
        return { first, second, bad, again, left: host.childElementCount };
      },
      [withProbes, without],
    );
    expect(seen.first).toEqual({ tab: "view-rollout", rollout: false });
    expect(seen.second).toEqual({ same: true, payloads: "1", tab: "view-heatmap", rollout: true, layers: 3 });
    expect(seen.bad.root).toBe(0);
    expect(seen.bad.text).toContain("version 2 is not supported");
    expect(seen.again).toBe(1);
    expect(seen.left).toBe(0);
  });
});
