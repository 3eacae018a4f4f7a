/**
 * Loading and embedding Vega-Lite specs. vega-embed is ESM-only, so it is loaded with a real dynamic
 * import (kept by module node16 in the CommonJS build; inlined by esbuild in the browser bundle).
 * Expressions run through vega-interpreter (`ast: true`): no eval / new Function, so the views work
 * under a CSP without 'unsafe-eval'.
 */
import type { ThemeName, VlSpec } from "../spec/theme";

/** A scenegraph item passed to Vega event handlers. */
export type VegaItem = { datum?: Record<string, unknown>; mark?: { name?: string } } | null | undefined;

/** The part of a Vega View the panels use. */
export interface VegaView {
  data(name: string, values: unknown[]): VegaView;
  /** The rows (tuples) of a dataset as the view holds them. */
  data(name: string): unknown[];
  changeset(): VegaChangeset;
  change(name: string, changes: VegaChangeset): VegaView;
  signal(name: string, value?: unknown): VegaView & unknown;
  runAsync(): Promise<VegaView>;
  scale(name: string): ((v: number) => number) & { invert?(px: number): number };
  origin(): [number, number];
  padding(): { left: number; top: number; right: number; bottom: number };
  width(): number;
  height(): number;
  container(): HTMLElement | null;
  addEventListener(type: string, handler: (event: Event, item?: VegaItem) => void): VegaView;
  addSignalListener(name: string, handler: (name: string, value: unknown) => void): VegaView;
  finalize(): void;
}

/** A Vega changeset: edits to a dataset's rows that keep the rows (and their marks) in place. */
export interface VegaChangeset {
  modify(row: object, field: string, value: unknown): VegaChangeset;
}

export interface Embedded {
  view: VegaView;
  finalize(): void;
}

type EmbedFn = (el: HTMLElement, spec: unknown, opts: Record<string, unknown>) => Promise<Embedded>;

let embedPromise: Promise<EmbedFn> | undefined;

function loadEmbed(): Promise<EmbedFn> {
  embedPromise ??= import("vega-embed").then((m) => {
    const mod = m as unknown as { default: EmbedFn | { default: EmbedFn } };
    return typeof mod.default === "function" ? mod.default : mod.default.default;
  });
  return embedPromise;
}

export async function embedSpec(el: HTMLElement, spec: VlSpec, theme: ThemeName): Promise<Embedded> {
  const embed = await loadEmbed();
  return embed(el, spec, {
    mode: "vega-lite",
    renderer: "svg",
    actions: false,
    defaultStyle: false,
    ast: true,
    tooltip: { theme: theme === "dark" ? "dark" : "light" },
  });
}
