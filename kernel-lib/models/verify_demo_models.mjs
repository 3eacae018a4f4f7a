// Checks the demo models written by train_demo_models.py from the Node side:
//   node kernel-lib/models/verify_demo_models.mjs [model-dir ...]
// - tokenizer.json + tokenizer_config.json load in @huggingface/tokenizers and reproduce the ids,
//   tokens and token types recorded in reference.json (computed by the Python side);
// - every ONNX file runs in onnxruntime-node and reproduces the torch logits / hidden states of the
//   reference probe, with dynamic batch and sequence length (a padded batch of 2 or 3);
// - each directory stays under 5 MB.
// Exits non-zero on the first mismatch.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Tokenizer } from "@huggingface/tokenizers";
import ort from "onnxruntime-node";

const here = dirname(fileURLToPath(import.meta.url));
const dirs = process.argv.slice(2).length
  ? process.argv.slice(2)
  : ["tiny-agreement-bert", "tiny-induction-gpt", "tiny-reverse-encdec"].map((d) => join(here, d));

const readJson = (p) => JSON.parse(readFileSync(p, "utf8"));
let failures = 0;
const check = (ok, msg) => {
  if (!ok) {
    failures++;
    console.log(`  FAIL ${msg}`);
  }
  return ok;
};
const eqArr = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
const i64 = (rows) =>
  new ort.Tensor("int64", BigInt64Array.from(rows.flat().map(BigInt)), [rows.length, rows[0].length]);
const maxAbs = (a, b) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);
const argmaxRows = (data, rows, V) =>
  Array.from({ length: rows }, (_, r) => {
    let best = 0;
    for (let v = 1; v < V; v++) if (data[r * V + v] > data[r * V + best]) best = v;
    return best;
  });

for (const dir of dirs) {
  const name = dir.split("/").pop();
  console.log(`== ${name}`);
  const files = readdirSync(dir);
  const size = files.reduce((s, f) => s + statSync(join(dir, f)).size, 0);
  check(size < 5e6, `directory is ${(size / 1e6).toFixed(2)} MB`);
  console.log(`  size ${(size / 1e6).toFixed(2)} MB: ${files.join(", ")}`);
  const tok = new Tokenizer(readJson(join(dir, "tokenizer.json")), readJson(join(dir, "tokenizer_config.json")));
  const ref = readJson(join(dir, "reference.json"));
  const config = readJson(join(dir, "config.json"));
  for (const s of ref.tokenizer_samples) {
    const enc = tok.encode(s.text, { text_pair: s.text_pair ?? null, return_token_type_ids: true });
    check(eqArr(enc.ids, s.ids), `ids of ${JSON.stringify(s.text)}: ${enc.ids} vs ${s.ids}`);
    const toks = enc.ids.map((i) => tok.id_to_token(i));
    check(eqArr(toks, s.tokens), `tokens of ${JSON.stringify(s.text)}: ${toks} vs ${s.tokens}`);
    if (s.token_type_ids)
      check(eqArr(enc.token_type_ids, s.token_type_ids), `token types of ${JSON.stringify(s.text)}`);
  }
  console.log(
    `  tokenizer: ${ref.tokenizer_samples.length} samples; first: ${JSON.stringify(tok.encode(ref.tokenizer_samples[0].text).tokens)}`,
  );

  const p = ref.probe;
  if (files.includes("model.onnx")) {
    const sess = await ort.InferenceSession.create(join(dir, "model.onnx"));
    console.log(`  model.onnx inputs ${sess.inputNames} outputs ${sess.outputNames}`);
    const ids = p.input_ids;
    const n = ids.length;
    // batch of 2: the probe, and the probe's first half right-padded to full length
    const half = Math.ceil(n / 2);
    const pad = config.pad_token_id ?? 0;
    const feeds = {
      input_ids: i64([ids, [...ids.slice(0, half), ...Array(n - half).fill(pad)]]),
      attention_mask: i64([Array(n).fill(1), [...Array(half).fill(1), ...Array(n - half).fill(0)]]),
    };
    if (sess.inputNames.includes("token_type_ids")) feeds.token_type_ids = i64([p.token_type_ids, Array(n).fill(0)]);
    const out = await sess.run(feeds);
    const logits = out.logits;
    const V = logits.dims[2];
    const am = argmaxRows(logits.data, n, V);
    check(eqArr(am, p.logits_argmax), `argmax ${am} vs torch ${p.logits_argmax}`);
    let worst = 0;
    p.logits_sample.positions.forEach((pos, k) => {
      const got = Array.from(logits.data.slice(pos * V, pos * V + 16));
      worst = Math.max(worst, maxAbs(got, p.logits_sample.values[k]));
    });
    check(worst < 2e-3, `logits differ from torch by ${worst}`);
    console.log(`  ORT vs torch: argmax equal, max |Δlogit| ${worst.toExponential(2)} (batch 2, seq ${n})`);
  }
  if (files.includes("encoder_model.onnx")) {
    const encS = await ort.InferenceSession.create(join(dir, "encoder_model.onnx"));
    const decS = await ort.InferenceSession.create(join(dir, "decoder_model.onnx"));
    console.log(`  encoder inputs ${encS.inputNames} outputs ${encS.outputNames}`);
    console.log(`  decoder inputs ${decS.inputNames} outputs ${decS.outputNames}`);
    const src = p.input_ids;
    const n = src.length;
    const eout = await encS.run({ input_ids: i64([src]), attention_mask: i64([Array(n).fill(1)]) });
    const h = eout.last_hidden_state;
    const d = h.dims[2];
    let worst = 0;
    for (let i = 0; i < n; i++)
      worst = Math.max(
        worst,
        maxAbs(Array.from(h.data.slice(i * d, i * d + 8)), p.encoder_last_hidden_state_sample[i]),
      );
    check(worst < 2e-3, `encoder hidden state differs by ${worst}`);
    // greedy decoding with ORT
    const ys = [config.decoder_start_token_id];
    for (let step = 0; step < n + 2; step++) {
      const o = await decS.run({
        input_ids: i64([ys]),
        encoder_hidden_states: h,
        encoder_attention_mask: i64([Array(n).fill(1)]),
      });
      const V = o.logits.dims[2];
      const last = argmaxRows(o.logits.data.slice((ys.length - 1) * V, ys.length * V), 1, V)[0];
      ys.push(last);
      if (last === config.eos_token_id) break;
    }
    const gen = ys.slice(1);
    check(eqArr(gen, p.generated_ids.slice(0, gen.length)), `ORT greedy ${gen} vs torch ${p.generated_ids}`);
    console.log(
      `  ORT greedy: ${p.source_tokens.join(" ")} -> ${gen.map((i) => tok.id_to_token(i)).join(" ")}; |Δh| ${worst.toExponential(2)}`,
    );
    // padded batch of 2 with a shorter second source
    const short = [...src.slice(0, 3), config.eos_token_id];
    const srcB = [src, [...short, ...Array(n - short.length).fill(config.pad_token_id)]];
    const maskB = [Array(n).fill(1), [...Array(short.length).fill(1), ...Array(n - short.length).fill(0)]];
    const hb = (await encS.run({ input_ids: i64(srcB), attention_mask: i64(maskB) })).last_hidden_state;
    const dIn = [p.decoder_input_ids, p.decoder_input_ids];
    const ob = await decS.run({ input_ids: i64(dIn), encoder_hidden_states: hb, encoder_attention_mask: i64(maskB) });
    const V = ob.logits.dims[2];
    const am = argmaxRows(ob.logits.data, dIn[0].length, V);
    check(eqArr(am, p.logits_argmax), `batched decoder argmax ${am} vs torch ${p.logits_argmax}`);
  }
}
if (failures) {
  console.log(`${failures} check(s) failed`);
  process.exit(1);
}
console.log("all checks passed");
