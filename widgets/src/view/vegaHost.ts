/** A container that holds one embedded Vega view at a time: newer embeds win, older ones are finalized. */
import type { ThemeName, VlSpec } from "../spec/theme";
import { freshBox } from "./dom";
import { type Embedded, embedSpec } from "./embed";

export interface VegaHost {
  /** Embeds `spec`; resolves to the view, or undefined when a newer embed or dispose overtook it. */
  embed(spec: VlSpec): Promise<Embedded | undefined>;
  current(): Embedded | undefined;
  clear(): void;
  dispose(): void;
}

export function createVegaHost(parent: HTMLElement, theme: ThemeName): VegaHost {
  let embedded: Embedded | undefined;
  let generation = 0;
  let disposed = false;
  return {
    async embed(spec) {
      const gen = ++generation;
      const next = await embedSpec(freshBox(parent, "attnlens-vega"), spec, theme);
      if (gen !== generation || disposed) {
        next.finalize();
        return undefined;
      }
      embedded?.finalize();
      embedded = next;
      return next;
    },
    current: () => embedded,
    clear() {
      generation++;
      embedded?.finalize();
      embedded = undefined;
      parent.replaceChildren();
    },
    dispose() {
      disposed = true;
      embedded?.finalize();
      embedded = undefined;
    },
  };
}
