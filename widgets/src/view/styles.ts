/** The widget's CSS, scoped under `.attnlens`; inserted as text (a constant, never payload data). */
import { THEMES, type ThemeName } from "../spec/theme";

export function widgetCss(theme: ThemeName): string {
  const c = THEMES[theme];
  return `
.attnlens { color: ${c.text}; background: ${c.background}; font: 13px system-ui, -apple-system, "Segoe UI", sans-serif;
  padding: 8px; position: relative; }
.attnlens-title { font-weight: 600; margin: 0 0 4px; }
.attnlens-notes { color: ${c.muted}; font-size: 12px; margin: 0 0 6px; }
.attnlens-toolbar { display: flex; flex-wrap: wrap; gap: 6px 14px; align-items: center; margin-bottom: 8px; }
.attnlens-toolbar label { display: inline-flex; gap: 4px; align-items: center; }
.attnlens select, .attnlens button { color: ${c.text}; background: ${c.panel}; border: 1px solid ${c.frame};
  border-radius: 3px; padding: 2px 4px; font: inherit; }
.attnlens button[aria-pressed="true"] { border-color: ${c.focus}; font-weight: 600; }
.attnlens select:disabled { opacity: 0.5; }
.attnlens-body { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
.attnlens-side { display: flex; flex-direction: column; gap: 12px; }
.attnlens-caption { font-weight: 600; }
.attnlens-subcaption { color: ${c.muted}; font-size: 12px; min-height: 1em; }
.attnlens-message { color: ${c.muted}; padding: 12px 0; }
.attnlens-tooltip { position: absolute; pointer-events: none; z-index: 10; background: ${c.panel}; color: ${c.text};
  border: 1px solid ${c.frame}; border-radius: 3px; padding: 4px 6px; font-size: 12px; white-space: pre; display: none; }
`;
}
