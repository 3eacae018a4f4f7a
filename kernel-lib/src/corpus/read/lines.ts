/**
 * Lines of a file, streamed: split on \n (a trailing \r dropped), each decoded as strict UTF-8 so
 * undecodable bytes are reported for that line instead of turning into U+FFFD.
 */
import { createReadStream, statSync } from "node:fs";

/** One line's text, or null when its bytes are not UTF-8. */
export interface Line {
  line: number;
  text: string | null;
}

export class LineReader {
  readonly size: number;
  private read = 0;

  constructor(private readonly file: string) {
    this.size = statSync(file).size;
  }

  fraction(): number {
    return this.size === 0 ? 1 : Math.min(1, this.read / this.size);
  }

  async *lines(): AsyncGenerator<Line> {
    const decoder = new TextDecoder("utf-8", { fatal: true });
    let pending: Buffer[] = [];
    let line = 0;
    const decode = (bytes: Buffer): Line => {
      line++;
      let end = bytes.length;
      if (end > 0 && bytes[end - 1] === 0x0d) end--;
      try {
        return { line, text: decoder.decode(bytes.subarray(0, end)) };
      } catch {
        return { line, text: null };
      }
    };
    for await (const chunk of createReadStream(this.file, { highWaterMark: 1 << 16 }) as AsyncIterable<Buffer>) {
      let start = 0;
      for (let nl = chunk.indexOf(0x0a); nl >= 0; nl = chunk.indexOf(0x0a, start)) {
        const piece = chunk.subarray(start, nl);
        const bytes = pending.length > 0 ? Buffer.concat([...pending, piece]) : piece;
        pending = [];
        start = nl + 1;
        this.read += bytes.length + 1;
        yield decode(bytes);
      }
      if (start < chunk.length) pending.push(chunk.subarray(start));
    }
    if (pending.length > 0) {
      const bytes = Buffer.concat(pending);
      this.read += bytes.length;
      yield decode(bytes);
    }
    this.read = this.size;
  }
}
