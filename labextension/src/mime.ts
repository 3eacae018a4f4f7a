/**
 * The JupyterLab mime renderer for attnlens outputs (`application/vnd.attnlens.v1+json`).
 * The bundle's payload is drawn with `widgets.render`; when the output carries no `image/png`, a
 * picture of the drawn view is written back into it, so the saved notebook shows the view elsewhere.
 */
import { ATTNLENS_MIME } from "@attnlens/widgets";
import type { IRenderMime } from "@jupyterlab/rendermime-interfaces";
import { Widget } from "@lumino/widgets";
import { snapshotPng } from "./snapshot";
import { type MountedView, mountView } from "./view";

/** Ahead of every standard renderer (HTML is 50, SVG 80, PNG 90): the payload is the richest form. */
export const RENDERER_RANK = 40;

export class AttentionRenderer extends Widget implements IRenderMime.IRenderer {
  private readonly mimeType: string;
  private view: MountedView | null = null;
  /** The PNG this renderer wrote: the model echoes it back through `renderModel`, which must not redraw. */
  private writtenPng: string | null = null;
  private attached: Promise<void>;
  private markAttached: () => void = () => {};

  constructor(options: IRenderMime.IRendererOptions) {
    super();
    this.mimeType = options.mimeType;
    this.addClass("jp-AttnlensView");
    this.attached = new Promise((resolve) => {
      this.markAttached = resolve;
    });
  }

  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    const png = model.data["image/png"];
    if (this.view && this.writtenPng !== null && png === this.writtenPng) return;
    this.view?.dispose();
    const host = document.createElement("div");
    host.className = "attnlens-host";
    this.node.replaceChildren(host);
    const options = (model.metadata[this.mimeType] ?? {}) as Record<string, unknown>;
    const view = mountView(host, model.data[this.mimeType], options);
    this.view = view;
    await view.ready;
    if (png || this.isDisposed) return;
    await this.attached;
    await nextFrame();
    if (
      this.view !== view ||
      this.isDisposed ||
      host.querySelector(":scope > .attnlens-error, :scope > .attnlens-message")
    )
      return;
    const shot = await snapshotPng(host, backgroundColor(this.node));
    if (!shot || this.view !== view || this.isDisposed) return;
    this.writtenPng = shot;
    model.setData({ data: { ...model.data, "image/png": shot } });
  }

  protected onAfterAttach(msg: Parameters<Widget["processMessage"]>[0]): void {
    super.onAfterAttach(msg);
    this.markAttached();
  }

  dispose(): void {
    if (this.isDisposed) return;
    this.view?.dispose();
    this.view = null;
    this.markAttached();
    super.dispose();
  }
}

export const rendererFactory: IRenderMime.IRendererFactory = {
  safe: true,
  mimeTypes: [ATTNLENS_MIME],
  defaultRank: RENDERER_RANK,
  createRenderer: (options) => new AttentionRenderer(options),
};

const extension: IRenderMime.IExtension = {
  id: "@attnlens/labextension:mime",
  rendererFactory,
  rank: RENDERER_RANK,
  dataType: "json",
};

export default extension;

/** After the next paint, or 100 ms (hidden and headless pages may never run animation frames). */
function nextFrame(): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 100);
    requestAnimationFrame(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function backgroundColor(node: HTMLElement): string {
  const jp = getComputedStyle(document.body).getPropertyValue("--jp-layout-color0").trim();
  if (jp) return jp;
  const own = getComputedStyle(node).backgroundColor;
  return own && own !== "rgba(0, 0, 0, 0)" && own !== "transparent" ? own : "#ffffff";
}
