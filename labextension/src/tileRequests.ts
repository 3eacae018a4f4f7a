/**
 * The front-end half of tile requests: `request` (the widgets' `requestTile` hook) sends
 * `{event: "tile", id, site, batch, head, rows, cols}` to the kernel as a custom message and settles
 * when the kernel's custom answer with the same id arrives: its one buffer holds the tile's float32
 * weights (little-endian, row-major), or its `error` says why it was refused. Requests time out,
 * and all fail at once when the view goes away.
 */
import type { TileAnswer, TileRequest } from "@attnlens/widgets";

/** How long a tile may take before the view gives up on it (and shows the finest data it has). */
const TILE_TIMEOUT_MS = 30_000;

interface Pending {
  resolve(answer: TileAnswer): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout>;
  cells: number;
}

export class TileRequests {
  private readonly pending = new Map<string, Pending>();
  private next = 0;

  constructor(
    private readonly send: (content: Record<string, unknown>) => void,
    private readonly live: () => boolean,
  ) {}

  /** The `requestTile` hook (bound: hosts pass it around). */
  readonly request = (req: TileRequest): Promise<TileAnswer> => {
    if (!this.live()) return Promise.reject(new Error("the kernel is gone"));
    const id = `tile-${++this.next}`;
    const bin = req.bin ?? 1;
    const cells = Math.ceil((req.rows[1] - req.rows[0]) / bin) * Math.ceil((req.cols[1] - req.cols[0]) / bin);
    return new Promise<TileAnswer>((resolve, reject) => {
      const timer = setTimeout(() => this.settle(id, new Error("the kernel did not answer in time")), TILE_TIMEOUT_MS);
      this.pending.set(id, { resolve, reject, timer, cells });
      this.send({ event: "tile", id, ...req });
    });
  };

  /** A custom message from the kernel: settles the request it answers (others are not ours). */
  received(content: unknown, buffers: (ArrayBuffer | ArrayBufferView)[]): void {
    const c = content as { event?: unknown; id?: unknown; error?: unknown } | null;
    if (c?.event !== "tile" || typeof c.id !== "string" || !this.pending.has(c.id)) return;
    const answer = this.decode(c.error, buffers[0], this.pending.get(c.id)!.cells);
    if (answer instanceof Error) this.settle(c.id, answer);
    else this.settle(c.id, null, answer);
  }

  private decode(
    error: unknown,
    buffer: ArrayBuffer | ArrayBufferView | undefined,
    cells: number,
  ): Float32Array | Error {
    if (typeof error === "string") return new Error(error);
    if (!buffer) return new Error("the kernel's tile came without its data");
    const view =
      buffer instanceof ArrayBuffer
        ? new Uint8Array(buffer)
        : new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    if (view.byteLength !== cells * 4)
      return new Error(`the kernel's tile holds ${view.byteLength} bytes for ${cells} cells`);
    // A copy: the buffer's offset need not be 4-byte aligned.
    return new Float32Array(view.slice().buffer);
  }

  dispose(): void {
    for (const id of [...this.pending.keys()]) this.settle(id, new Error("the view was closed"));
  }

  private settle(id: string, error: Error | null, data?: Float32Array): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    if (error) p.reject(error);
    else p.resolve({ data: data! });
  }
}
