/** Small DOM helpers. Text always goes in through textContent, never innerHTML. */

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className?: string,
  text?: string,
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

export interface Choice {
  value: string;
  text: string;
}

/** A labelled <select>; `onChange` gets the chosen value. */
export function selectBox(
  label: string,
  name: string,
  onChange: (value: string) => void,
): { root: HTMLLabelElement; select: HTMLSelectElement; set(choices: Choice[], value: string): void } {
  const root = el("label", undefined, `${label} `);
  const select = el("select");
  select.name = name;
  select.addEventListener("change", () => onChange(select.value));
  root.append(select);
  return {
    root,
    select,
    set(choices, value) {
      const same =
        select.options.length === choices.length &&
        choices.every((c, i) => select.options[i].value === c.value && select.options[i].text === c.text);
      if (!same) {
        select.replaceChildren(
          ...choices.map((c) => {
            const o = el("option", undefined, c.text);
            o.value = c.value;
            return o;
          }),
        );
      }
      select.value = value;
      select.disabled = choices.length < 2;
    },
  };
}

/** Replaces the Vega container's content safely on each embed. */
export function freshBox(parent: HTMLElement, className: string): HTMLDivElement {
  const box = el("div", className);
  parent.replaceChildren(box);
  return box;
}
