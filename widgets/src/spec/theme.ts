/** Light and dark themes: Vega-Lite config plus the few colours the specs and the DOM use directly. */

export type ThemeName = "light" | "dark";

export interface ThemeColors {
  background: string;
  text: string;
  muted: string;
  frame: string;
  /** Outline of the focused row/column and the selected head: visible on every viridis colour. */
  focus: string;
  /** Background of controls and tooltips. */
  panel: string;
}

export const THEMES: Record<ThemeName, ThemeColors> = {
  light: {
    background: "#ffffff",
    text: "#1f1f1f",
    muted: "#5f6368",
    frame: "#c7c7c7",
    focus: "#e8175d",
    panel: "#f3f3f3",
  },
  dark: {
    background: "#1e1e1e",
    text: "#e6e6e6",
    muted: "#a8a8a8",
    frame: "#5a5a5a",
    focus: "#ff7eb6",
    panel: "#2b2b2b",
  },
};

export type VlSpec = { [key: string]: unknown };

export const VL_SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json";

/** Vega-Lite `config` for a theme. */
export function themeConfig(theme: ThemeName): VlSpec {
  const c = THEMES[theme];
  const axis = {
    domainColor: c.frame,
    gridColor: c.frame,
    tickColor: c.frame,
    labelColor: c.text,
    titleColor: c.text,
  };
  return {
    background: c.background,
    font: "system-ui, -apple-system, 'Segoe UI', sans-serif",
    view: { stroke: c.frame },
    axis,
    legend: { labelColor: c.text, titleColor: c.text },
    title: { color: c.text, subtitleColor: c.muted, anchor: "start", fontSize: 13, subtitleFontSize: 11 },
    text: { color: c.text },
    header: { labelColor: c.text, titleColor: c.text },
  };
}
