import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { encodeMessage, parseMessage, peekMessageType } from "./wire";

describe("wire format", () => {
  it("signs the four JSON frames with HMAC-SHA256 and keeps binary buffers as they are", () => {
    const buffer = new Uint8Array([0, 255, 10, 13]);
    const frames = encodeMessage("k", [Buffer.from("id")], { msg_type: "comm_msg" }, {}, {}, { a: 1 }, [buffer]);
    expect(frames[1].toString()).toBe("<IDS|MSG>");
    const hmac = createHmac("sha256", "k");
    for (const f of frames.slice(3, 7)) hmac.update(f);
    expect(frames[2].toString()).toBe(hmac.digest("hex"));
    expect([...frames[7]]).toEqual([0, 255, 10, 13]);
    const back = parseMessage("k", frames);
    expect(back.identities.map(String)).toEqual(["id"]);
    expect(back.content).toEqual({ a: 1 });
    expect([...back.buffers[0]]).toEqual([0, 255, 10, 13]);
    expect(back.bytes).toBe('{"a":1}'.length + 4);
    expect(peekMessageType(frames)).toBe("comm_msg");
  });

  it("refuses a bad signature and frames without the delimiter", () => {
    const frames = encodeMessage("k", [], { msg_type: "x" }, {}, {}, {});
    expect(() => parseMessage("other", frames)).toThrow("message signature does not match");
    expect(() => parseMessage("k", frames.slice(1))).toThrow("malformed message");
    expect(peekMessageType([Buffer.from("junk")])).toBeNull();
  });
});
