/**
 * JupyterLab's theme, as the views need it: JupyterLab marks the body with
 * `data-jp-theme-light="true|false"` and flips it when the user switches themes.
 */
export type Theme = "light" | "dark";

const THEME_ATTRIBUTE = "data-jp-theme-light";

/** The current theme; light outside JupyterLab (no attribute). */
export function currentTheme(doc: Document = document): Theme {
  return doc.body?.getAttribute(THEME_ATTRIBUTE) === "false" ? "dark" : "light";
}

/** Calls `onChange` with the new theme whenever JupyterLab switches it; returns the unsubscribe. */
export function watchTheme(onChange: (theme: Theme) => void, doc: Document = document): () => void {
  if (!doc.body || typeof MutationObserver === "undefined") return () => {};
  let last = currentTheme(doc);
  const observer = new MutationObserver(() => {
    const now = currentTheme(doc);
    if (now === last) return;
    last = now;
    onChange(now);
  });
  observer.observe(doc.body, { attributes: true, attributeFilter: [THEME_ATTRIBUTE] });
  return () => observer.disconnect();
}
