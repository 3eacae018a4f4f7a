/**
 * A real JupyterLab (`python -m jupyterlab`) or Notebook 7 (`python -m notebook`) from a Python
 * environment: 127.0.0.1, a random token and port, --allow-root, a given root directory, and private
 * data/config/runtime directories (nothing from ~/.jupyter or ~/.local leaks in). Also reads the
 * page config the app serves, which names the extensions the browser will load.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { createServer } from "node:net";
import * as path from "node:path";

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export type AppKind = "lab" | "notebook";

export interface JupyterApp {
  kind: AppKind;
  url: string;
  token: string;
  process: ChildProcess;
  /** Server output so far, for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

export interface AppOptions {
  python: string;
  /** The directory the app serves (notebooks are opened relative to it). */
  rootDir: string;
  /** JUPYTER_DATA_DIR (kernelspecs, labextensions installed by the set-up script). */
  dataDir: string;
  /** JUPYTER_CONFIG_DIR (labextension enable/disable state); default: beside dataDir. */
  configDir?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

/** The environment the app and any `jupyter labextension` command for it must share. */
export function appEnv(o: AppOptions): NodeJS.ProcessEnv {
  const base = path.dirname(o.dataDir);
  return {
    ...process.env,
    ...o.env,
    JUPYTER_DATA_DIR: o.dataDir,
    JUPYTER_CONFIG_DIR: o.configDir ?? path.join(base, "config"),
    JUPYTER_RUNTIME_DIR: path.join(base, "runtime"),
    JUPYTER_PLATFORM_DIRS: "1",
    JUPYTERLAB_SETTINGS_DIR: path.join(base, "lab-settings"),
    JUPYTERLAB_WORKSPACES_DIR: path.join(base, "lab-workspaces"),
  };
}

export async function startJupyterApp(kind: AppKind, o: AppOptions): Promise<JupyterApp> {
  const timeoutMs = o.timeoutMs ?? 90_000;
  const token = randomBytes(16).toString("hex");
  const port = await freePort();
  const env = appEnv(o);
  for (const d of [env.JUPYTER_CONFIG_DIR, env.JUPYTER_RUNTIME_DIR]) mkdirSync(d as string, { recursive: true });
  const child = spawn(
    o.python,
    [
      "-m",
      kind === "lab" ? "jupyterlab" : "notebook",
      "--allow-root",
      "--no-browser",
      "--ServerApp.ip=127.0.0.1",
      `--ServerApp.port=${port}`,
      "--ServerApp.port_retries=0",
      `--IdentityProvider.token=${token}`,
      `--ServerApp.root_dir=${o.rootDir}`,
      // window.jupyterapp: the tests drive the app through its own commands (the menus' actions).
      "--expose-app-in-browser",
      // No news or update checks (no network here).
      "--LabApp.news_url=",
      "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ],
    { cwd: o.rootDir, env, stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  child.stdout?.on("data", (d) => {
    out += d;
  });
  child.stderr?.on("data", (d) => {
    out += d;
  });
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`jupyter ${kind} exited (${child.exitCode}):\n${out}`);
    try {
      const r = await fetch(`${url}/api/status?token=${token}`);
      if (r.ok) return { kind, url, token, process: child, log: () => out, stop };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  await stop();
  throw new Error(`jupyter ${kind} did not answer within ${timeoutMs} ms:\n${out}`);
}

export interface FederatedExtension {
  name: string;
  load: string;
  extension?: string;
  mimeExtension?: string;
}

/** The page config the app's front end starts from (JupyterLab: /lab, Notebook 7: /tree). */
export async function pageConfig(app: JupyterApp): Promise<{
  federated_extensions: FederatedExtension[];
  disabledExtensions?: string[];
  [k: string]: unknown;
}> {
  const page = app.kind === "lab" ? "lab" : "tree";
  const html = await (await fetch(`${app.url}/${page}?token=${app.token}`)).text();
  const m = /<script id="jupyter-config-data" type="application\/json">([\s\S]*?)<\/script>/.exec(html);
  if (!m) throw new Error(`no jupyter-config-data in ${page}:\n${html.slice(0, 500)}`);
  return JSON.parse(m[1]);
}
