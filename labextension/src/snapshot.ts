/**
 * A PNG picture of a rendered view, for the output's `image/png` entry: a saved notebook then shows
 * the view on GitHub, nbviewer or any host without the extension. The views draw into <canvas>
 * and <svg> elements; each is painted at its on-screen offset onto one canvas.
 */

/** Base64 PNG (no `data:` prefix) of the canvases and SVGs inside `root`, or null when nothing is drawn. */
export async function snapshotPng(root: HTMLElement, background = "#ffffff", scale = 1): Promise<string | null> {
  const box = root.getBoundingClientRect();
  const parts = drawables(root);
  if (parts.length === 0 || box.width < 1 || box.height < 1) return null;
  const canvas = document.createElement("canvas");
  canvas.width = Math.ceil(box.width * scale);
  canvas.height = Math.ceil(box.height * scale);
  const ctx = canvas.getContext("2d");
  if (!ctx) return null;
  ctx.fillStyle = background;
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.scale(scale, scale);
  for (const el of parts) {
    const r = el.getBoundingClientRect();
    if (r.width < 1 || r.height < 1) continue;
    const x = r.left - box.left;
    const y = r.top - box.top;
    try {
      if (el instanceof HTMLCanvasElement) ctx.drawImage(el, x, y, r.width, r.height);
      else ctx.drawImage(await svgImage(el as SVGSVGElement, r), x, y, r.width, r.height);
    } catch {
      // A part that cannot be painted (a tainted canvas, a broken SVG) is left out of the picture.
    }
  }
  try {
    return canvas.toDataURL("image/png").split(",")[1] ?? null;
  } catch {
    return null;
  }
}

/** Top-level canvases and SVGs (not those nested inside another SVG). */
function drawables(root: HTMLElement): Element[] {
  return Array.from(root.querySelectorAll("canvas, svg")).filter(
    (el) => !(el instanceof SVGElement && el.parentElement?.closest("svg")),
  );
}

function svgImage(svg: SVGSVGElement, r: DOMRect): Promise<HTMLImageElement> {
  const clone = svg.cloneNode(true) as SVGSVGElement;
  clone.setAttribute("xmlns", "http://www.w3.org/2000/svg");
  if (!clone.getAttribute("width")) clone.setAttribute("width", String(r.width));
  if (!clone.getAttribute("height")) clone.setAttribute("height", String(r.height));
  const text = new XMLSerializer().serializeToString(clone);
  const url = URL.createObjectURL(new Blob([text], { type: "image/svg+xml" }));
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => {
      URL.revokeObjectURL(url);
      resolve(img);
    };
    img.onerror = () => {
      URL.revokeObjectURL(url);
      reject(new Error("svg did not load"));
    };
    img.src = url;
  });
}
