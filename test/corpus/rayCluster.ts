/**
 * A two-node Ray cluster on this machine for the corpus tests (ray_cluster.py), driven over stdin:
 * start() resolves with its address; command() sends one line and resolves with the reply; stop()
 * shuts it down, and kills the helper's process group if it does not stop in time.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import * as path from "node:path";
import { venvPython } from "../pythonEnv";

export class RayCluster {
  private child: ChildProcessWithoutNullStreams | null = null;
  private lines: string[] = [];
  private waiting: ((line: string) => void) | null = null;
  private log = "";
  address = "";

  async start(): Promise<string> {
    this.child = spawn(venvPython(), [path.join(__dirname, "ray_cluster.py")], { detached: true });
    let pending = "";
    this.child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      pending += chunk;
      const parts = pending.split("\n");
      pending = parts.pop() ?? "";
      for (const line of parts.filter((l) => /^(ADDRESS|KILLED|NONE|REPLACED|STOPPED)/.test(l))) {
        if (this.waiting) {
          const w = this.waiting;
          this.waiting = null;
          w(line);
        } else this.lines.push(line);
      }
    });
    this.child.stderr.setEncoding("utf8").on("data", (c: string) => {
      this.log = (this.log + c).slice(-3000);
    });
    const first = await this.next(280_000);
    if (!first.startsWith("ADDRESS ")) throw new Error(`the Ray cluster did not start: ${first}\n${this.log}`);
    this.address = first.slice(8);
    return this.address;
  }

  private next(timeout: number): Promise<string> {
    const ready = this.lines.shift();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer from the Ray cluster helper\n${this.log}`)), timeout);
      this.waiting = (line) => {
        clearTimeout(timer);
        resolve(line);
      };
      this.child?.once("exit", () => resolve(`exited\n${this.log}`));
    });
  }

  command(line: "kill-worker" | "replace-node"): Promise<string> {
    this.child?.stdin.write(`${line}\n`);
    return this.next(90_000);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode != null) return;
    child.stdin.end("stop\n");
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    const timer = setTimeout(() => {
      if (child.pid) process.kill(-child.pid, "SIGKILL");
    }, 30_000);
    await exited;
    clearTimeout(timer);
  }
}
