/**
 * The live corpus widget, kernel side, on an in-memory comm transport: opening an input (the
 * front end's `{event: "run", text, input}`) runs the demo model on its text and the kernel answers
 * with the corpus payload plus `opened`, whose attention payload equals `encodePayload` of a run
 * made here. A malformed message is refused with an error the view shows.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { decodeCorpusPayload } from "@attnlens/widgets";
import { afterAll, describe, expect, it } from "vitest";
import { CommManager } from "../src/kernel/comms";
import { loadModel } from "../src/load/loadModel";
import { corpusPayload } from "../src/output/display/corpus";
import { encodePayload } from "../src/output/payload";
import { bindCorpusWidget } from "../src/output/widget/corpusWidget";
import { makeCorpusDir } from "./corpusFixture";

const root = mkdtempSync(path.join(tmpdir(), "attnlens-corpuswidget-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

type Sent = { type: string; content: { comm_id?: string; data?: Record<string, unknown> } };

describe("corpusWidget (kernel side)", () => {
  it("runs an opened input and answers with its attention payload; refuses a malformed message", async () => {
    const texts = ["The dogs near the car are hungry.", "The cat is tired.", "The animals near the street are scared."];
    const fx = await makeCorpusDir(path.join(root, "run"), texts);
    const payload = await corpusPayload(fx.dir);
    const model = await loadModel("tiny-agreement-bert", { providers: ["cpu"] });
    const sent: Sent[] = [];
    const comms = new CommManager({ publish: (type, content) => sent.push({ type, content } as Sent), log: () => {} });
    const view = bindCorpusWidget(comms, payload, {}, model);
    expect(view.live).toBe(true);
    const id = view.modelId as string;
    const updates = () =>
      sent
        .filter((m) => m.type === "comm_msg" && m.content.data?.method === "update")
        .map((m) => m.content.data?.state);

    comms.handle("comm_msg", {
      comm_id: id,
      data: { method: "custom", content: { event: "run", text: texts[1], input: 1 } },
    });
    await expect
      .poll(() => updates().some((s) => (s as { payload?: unknown })?.payload), { timeout: 20_000 })
      .toBe(true);
    const state = updates().find((s) => (s as { payload?: unknown }).payload) as { payload: unknown; error: unknown };
    const answer = decodeCorpusPayload(JSON.parse(JSON.stringify(state.payload)));
    expect(answer.opened?.input).toBe(1);
    expect(answer.opened?.text).toBe(texts[1]);
    const expected = JSON.parse(JSON.stringify(encodePayload(await model.run(texts[1]), { title: "input 1" })));
    expect(answer.opened?.payload).toEqual(expected);
    expect(answer.sites).toEqual(payload.sites);
    expect(state.error).toBeNull();

    comms.handle("comm_msg", { comm_id: id, data: { method: "custom", content: { event: "run", text: "x" } } });
    expect(updates().at(-1)).toEqual({ error: 'refused a custom message (expected { event: "run", text, input })' });
  }, 60_000);
});
