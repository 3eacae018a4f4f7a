/**
 * The venv's jupyter_server for the harness: started on 127.0.0.1 with a random token and port,
 * `--allow-root`, an isolated data/config/runtime directory, the repository as root directory
 * (so tslab finds this checkout's tslab and `import "attnlens"` resolves to the workspace package).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import * as path from "node:path";
import { PYTHON, ROOT } from "./setup";

export interface JupyterServer {
  url: string;
  token: string;
  process: ChildProcess;
  /** Server log so far (stderr), for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

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

export interface ServerOptions {
  /** Extra directories served under /static/ (jupyter_server's extra_static_paths). */
  staticPaths?: string[];
  timeoutMs?: number;
}

export async function startJupyterServer(dataDir: string, options: ServerOptions = {}): Promise<JupyterServer> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const token = randomBytes(16).toString("hex");
  const port = await freePort();
  for (const d of ["config", "runtime"]) mkdirSync(path.join(dataDir, "..", d), { recursive: true });
  const config = { ServerApp: { extra_static_paths: options.staticPaths ?? [] } };
  writeFileSync(path.join(dataDir, "..", "config", "jupyter_server_config.json"), JSON.stringify(config));
  const child = spawn(
    PYTHON,
    [
      "-m",
      "jupyter_server",
      "--allow-root",
      "--no-browser",
      "--ServerApp.ip=127.0.0.1",
      `--ServerApp.port=${port}`,
      "--ServerApp.port_retries=0",
      `--ServerApp.token=${token}`,
      `--ServerApp.root_dir=${ROOT}`,
      "--ServerApp.open_browser=False",
    ],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        JUPYTER_DATA_DIR: dataDir,
        JUPYTER_CONFIG_DIR: path.join(dataDir, "..", "config"),
        JUPYTER_RUNTIME_DIR: path.join(dataDir, "..", "runtime"),
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let stderr = "";
  child.stdout?.on("data", (d) => {
    stderr += d;
  });
  child.stderr?.on("data", (d) => {
    stderr += d;
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
    if (child.exitCode !== null) throw new Error(`jupyter_server exited (${child.exitCode}):\n${stderr}`);
    try {
      const r = await fetch(`${url}/api/status?token=${token}`);
      if (r.ok) return { url, token, process: child, log: () => stderr, stop };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  await stop();
  throw new Error(`jupyter_server did not answer within ${timeoutMs} ms:\n${stderr}`);
}
