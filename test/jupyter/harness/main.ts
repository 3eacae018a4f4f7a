/**
 * The browser side of the Jupyter harness: what JupyterLab would do with a notebook's outputs,
 * built from its own packages. @jupyterlab/services talks to a real jupyter_server (REST +
 * websocket) running the tslab kernel; each `run(code)` executes a cell and renders its outputs
 * with @jupyterlab/outputarea + @jupyterlab/rendermime, into which the attnlens extension is loaded
 * the way JupyterLab loads a prebuilt extension: its module-federation remoteEntry, a share scope
 * offering the core singletons, and the exposed './mimeExtension'.
 * Bundled by esbuild (test/jupyter/harness.ts) into one script; driven by Playwright.
 */
import * as widgetsBase from "@jupyter-widgets/base";
import { HTMLManager } from "@jupyter-widgets/html-manager";
import type * as nbformat from "@jupyterlab/nbformat";
import { OutputArea, OutputAreaModel } from "@jupyterlab/outputarea";
import { RenderMimeRegistry, standardRendererFactories } from "@jupyterlab/rendermime";
import type { IRenderMime } from "@jupyterlab/rendermime-interfaces";
import { type Kernel, KernelManager, ServerConnection } from "@jupyterlab/services";
import * as luminoAlgorithm from "@lumino/algorithm";
import * as luminoCoreutils from "@lumino/coreutils";
import * as luminoDisposable from "@lumino/disposable";
import * as luminoMessaging from "@lumino/messaging";
import * as luminoSignaling from "@lumino/signaling";
import * as luminoWidgets from "@lumino/widgets";
import { Widget } from "@lumino/widgets";

/** Core singletons offered to the extension, as JupyterLab's share scope would (name → module, version). */
declare const SHARED_VERSIONS: Record<string, string>;
const SHARED: Record<string, unknown> = {
  "@lumino/algorithm": luminoAlgorithm,
  "@lumino/coreutils": luminoCoreutils,
  "@lumino/disposable": luminoDisposable,
  "@lumino/messaging": luminoMessaging,
  "@lumino/signaling": luminoSignaling,
  "@lumino/widgets": luminoWidgets,
  // What jupyterlab_widgets (ipywidgets) shares in JupyterLab; the extension's widget plugin needs it.
  "@jupyter-widgets/base": widgetsBase,
};

interface Container {
  init(scope: unknown): Promise<void> | void;
  get(module: string): Promise<() => { default: unknown }>;
}

interface WidgetRegistration {
  name: string;
  version: string;
  exports: Record<string, unknown>;
}

interface WidgetPlugin {
  id: string;
  requires: unknown[];
  activate(app: unknown, registry: { registerWidget(w: WidgetRegistration): void }): void;
}

interface StartOptions {
  baseUrl: string;
  token: string;
  /** URL of the installed extension directory (…/labextensions/@attnlens/labextension). */
  extensionUrl: string;
  extensionName: string;
  kernelName: string;
}

interface CellRun {
  index: number;
  outputs: nbformat.IOutput[];
  status: string;
  ms: number;
}

let kernel: Kernel.IKernelConnection | null = null;
let rendermime: RenderMimeRegistry | null = null;
const areas: OutputArea[] = [];
const log: string[] = [];

function loadScript(src: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = document.createElement("script");
    s.src = src;
    s.onload = () => resolve();
    s.onerror = () => reject(new Error(`cannot load ${src}`));
    document.head.appendChild(s);
  });
}

let container: Container | null = null;
let build: { load: string; mimeExtension?: string; extension?: string } | null = null;

/** Loads a prebuilt JupyterLab extension's mime extension(s) like JupyterLab does. */
async function loadMimeExtensions(url: string, name: string): Promise<IRenderMime.IExtension[]> {
  const pkg = await (await fetch(`${url}/package.json`)).json();
  build = pkg.jupyterlab?._build ?? null;
  if (!build?.load || !build.mimeExtension)
    throw new Error(`${url}/package.json has no jupyterlab._build.mimeExtension`);
  await loadScript(`${url}/${build.load}`);
  container = (window as unknown as { _JUPYTERLAB: Record<string, Container> })._JUPYTERLAB?.[name] ?? null;
  if (!container) throw new Error(`the remote entry did not register _JUPYTERLAB[${name}]`);
  const scope: Record<string, Record<string, unknown>> = {};
  for (const [pkgName, mod] of Object.entries(SHARED)) {
    scope[pkgName] = {
      [SHARED_VERSIONS[pkgName]]: { get: () => Promise.resolve(() => mod), from: "harness", eager: true, loaded: 1 },
    };
  }
  await container.init(scope);
  const factory = await container.get(build.mimeExtension);
  const exported = factory().default as IRenderMime.IExtension | IRenderMime.IExtension[];
  return Array.isArray(exported) ? exported : [exported];
}

/**
 * The extension's JupyterLab plugin ('./extension'), activated as JupyterLab would with the widget
 * registry of jupyterlab_widgets; the registered classes are then drawn by a standard widget manager
 * (@jupyter-widgets/html-manager), the way a kernel with comms would have them drawn.
 */
async function showWidget(
  payload: unknown,
  options: Record<string, unknown>,
): Promise<{ plugin: string; registered: string[]; sharedToken: boolean }> {
  if (!container || !build?.extension) throw new Error("the extension has no './extension' plugin");
  const plugin = (await container.get(build.extension))().default as WidgetPlugin;
  const registered: WidgetRegistration[] = [];
  plugin.activate({}, { registerWidget: (w) => registered.push(w) });
  const manager = new HTMLManager({
    loader: (name: string) => {
      const hit = registered.find((r) => r.name === name);
      return hit ? Promise.resolve(hit.exports) : Promise.reject(new Error(`no widget module ${name}`));
    },
  });
  const [reg] = registered;
  const model = await manager.new_model(
    {
      model_name: "AttentionModel",
      model_module: reg.name,
      model_module_version: reg.version,
      model_id: `attnlens-${Date.now()}`,
    },
    { payload, options },
  );
  const view = await manager.create_view(model);
  const host = document.createElement("div");
  host.id = "widget";
  document.body.appendChild(host);
  await manager.display_view(view, host);
  return {
    plugin: plugin.id,
    registered: registered.map((r) => `${r.name}@${r.version}: ${Object.keys(r.exports).sort().join(", ")}`),
    // The plugin asked for the very token the shared @jupyter-widgets/base singleton exports.
    sharedToken: plugin.requires[0] === widgetsBase.IJupyterWidgetRegistry,
  };
}

async function start(o: StartOptions): Promise<{ kernel: string; mimeTypes: string[] }> {
  const extensions = await loadMimeExtensions(o.extensionUrl, o.extensionName);
  rendermime = new RenderMimeRegistry({ initialFactories: standardRendererFactories });
  for (const ext of extensions) rendermime.addFactory(ext.rendererFactory, ext.rank);
  const serverSettings = ServerConnection.makeSettings({
    baseUrl: o.baseUrl,
    wsUrl: o.baseUrl.replace(/^http/, "ws"),
    token: o.token,
    appendToken: true,
  });
  const manager = new KernelManager({ serverSettings });
  await manager.ready;
  kernel = await manager.startNew({ name: o.kernelName });
  kernel.iopubMessage.connect((_, msg) => {
    if (msg.header.msg_type === "stream" || msg.header.msg_type === "error") log.push(JSON.stringify(msg.content));
  });
  await kernel.info;
  return { kernel: kernel.id, mimeTypes: extensions.flatMap((e) => [...e.rendererFactory.mimeTypes]) };
}

/** Executes one cell; its outputs are rendered in a new output area appended to the page. */
async function run(code: string): Promise<CellRun> {
  if (!kernel || !rendermime) throw new Error("harness not started");
  const t0 = performance.now();
  const model = new OutputAreaModel({ trusted: true });
  const area = new OutputArea({ model, rendermime });
  const index = areas.length;
  area.node.dataset.cell = String(index);
  area.addClass("harness-cell");
  Widget.attach(area, document.getElementById("cells") as HTMLElement);
  areas.push(area);
  const future = kernel.requestExecute({ code, stop_on_error: true });
  area.future = future;
  const reply = await future.done;
  return { index, outputs: model.toJSON(), status: reply.content.status, ms: Math.round(performance.now() - t0) };
}

/** The output JSON of a cell now (the renderer may have added image/png since it ran). */
function outputs(index: number): nbformat.IOutput[] {
  return areas[index].model.toJSON();
}

/** Disposes a cell's output area (so tests can check renderers clean up). */
function disposeCell(index: number): void {
  areas[index].dispose();
}

async function shutdown(): Promise<void> {
  if (kernel) await kernel.shutdown();
  kernel = null;
}

(window as unknown as { harness: unknown }).harness = { start, run, outputs, disposeCell, showWidget, shutdown, log };
