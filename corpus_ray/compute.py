"""Per-input, per-head metric values of a batch of texts, with the definitions of `attnlens metrics`
(metrics.json's per-head numbers, kernel-lib/src/analysis/metrics/headMetrics.ts): for each input,
each metric's mean over the input's valid query rows that define it.

Tokenization, truncation, padding and feeds follow the local engine (kernel-lib/src/text/batch.ts,
textTokenizer.ts, textFeeds.ts): content tokens without specials, longest-first truncation to the
model's positions (ties cut the pair), the tokenizer's post-processor, right padding with the pad id.
The graph gives the map-based row metrics; the [CLS]/[SEP]/punctuation/sink masses are summed here
from the fetched attention with the shipped role table (tokenRoles.ts's rules).
"""
import numpy as np

from .bundle import CLS, GRAPH_METRICS, METRICS, PUNCT, SEP, STARTABLE, WORD


class Analyzer:
    """One onnxruntime session and tokenizer, opened once (per Ray actor)."""

    def __init__(self, files, truncate=False, threads=1, max_tokens=None):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.bundle = b = files["bundle"]
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(files["model"], options, providers=["CPUExecutionProvider"])
        self.tokenizer = Tokenizer.from_str(files["tokenizer"])
        self.tokenizer.no_truncation()
        self.tokenizer.no_padding()
        self.truncate = truncate
        limits = [m for m in (b["maxPositions"], max_tokens) if m is not None]
        self.max = min(limits) if limits else None
        self.roles = np.asarray(b["roles"], dtype=np.int8)
        self.inputs = {i["name"]: np.int32 if i["dtype"] == "int32" else np.int64 for i in b["inputs"]}
        self.sites = b["sites"]
        self.row_index = [b["rowMetrics"].index(m) for m in GRAPH_METRICS]
        self.outputs = [name for s in self.sites for name in (s["rows"], s["info"], s["attention"])]

    @property
    def heads(self):
        return [s["heads"] for s in self.sites]

    def encode(self, text, pair):
        """(ids, type_ids, special mask, truncated, text measured), or the token count when too long and
        not truncating. A truncated input's text is cut after its last kept token, as the local engine
        cuts it (tokenLimit.ts), so DIR/inputs.jsonl shows what was measured."""
        a = self.tokenizer.encode(text, add_special_tokens=False)
        b = self.tokenizer.encode(pair, add_special_tokens=False) if pair is not None else None
        full = len(a.ids) + (len(b.ids) if b else 0) + self.tokenizer.num_special_tokens_to_add(b is not None)
        truncated = False
        if self.max is not None and full > self.max:
            if not self.truncate:
                return full
            la, lb = len(a.ids), len(b.ids) if b else 0
            for _ in range(full - self.max):  # longest first; a tie cuts the pair (textTokenizer.ts)
                if b is not None and lb >= la and lb > 0:
                    lb -= 1
                elif la > 0:
                    la -= 1
            a.truncate(la)
            if b is not None:
                b.truncate(lb)
            truncated = True
            text = text[: max((end for _, end in a.offsets), default=0)]
        enc = self.tokenizer.post_process(a, b, add_special_tokens=True)
        return list(enc.ids), list(enc.type_ids), list(enc.special_tokens_mask), truncated, text

    def values(self, encoded):
        """[inputs, sites, heads_max, metrics] float64 (NaN = undefined) for a list of encodings."""
        n = len(encoded)
        width = max(1, max(len(e[0]) for e in encoded))
        ids = np.full((n, width), self.bundle["padId"], dtype=np.int64)
        mask = np.zeros((n, width), dtype=np.int64)
        types = np.zeros((n, width), dtype=np.int64)
        special = np.zeros((n, width), dtype=bool)
        for r, (i, t, s, *_) in enumerate(encoded):
            ids[r, : len(i)] = i
            mask[r, : len(i)] = 1
            types[r, : len(t)] = t
            special[r, : len(s)] = np.asarray(s, dtype=bool)
        columns = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types,
                   "position_ids": np.broadcast_to(np.arange(width), (n, width))}
        feeds = {name: np.ascontiguousarray(columns[name], dtype=dtype) for name, dtype in self.inputs.items()}
        fetched = self.session.run(self.outputs, feeds)
        out = np.full((n, len(self.sites), max(self.heads), len(METRICS)), np.nan)
        for k, site in enumerate(self.sites):
            rows, info, attention = fetched[3 * k: 3 * k + 3]
            B, H, T, S, causal = (int(v) for v in info)
            graph = rows[self.row_index].astype(np.float64)  # [M, B, H, T]
            with np.errstate(invalid="ignore"):
                defined = ~np.isnan(graph)
                sums = np.where(defined, graph, 0.0).sum(axis=3)
                counts = defined.sum(axis=3)
                out[:, k, :H, : len(GRAPH_METRICS)] = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan).transpose(1, 2, 0)
            a = attention.reshape(B, H, T, S)
            out[:, k, :H, len(GRAPH_METRICS):] = self._role_masses(a, ids[:, :S], mask[:, :S], special[:, :S], bool(causal))
        return out

    def _role_masses(self, a, ids, mask, special, causal):
        """[B, H, 4] per-input means over valid rows of the masses on cls, sep, sink, punctuation sources."""
        B, H, T, S = a.shape
        code = self.roles[np.clip(ids, 0, len(self.roles) - 1)]
        role = code & 3
        startable = ((code & STARTABLE) > 0) | special
        role = np.where(special & (role == PUNCT), WORD, role)  # special tokens are never punctuation
        valid = mask > 0
        first = np.argmax(valid, axis=1)
        start = np.zeros_like(valid)
        if causal:
            rows = np.arange(B)
            start[rows, first] = valid[rows, first] & startable[rows, first]
        wanted = [(role == CLS) & ~start, (role == SEP) & ~start, start, (role == PUNCT) & ~start]
        visible = np.ones((T, S), dtype=bool) if not causal else np.tri(T, S, dtype=bool)
        out = np.empty((B, H, 4))
        targets = valid[:, :T]
        for r, w in enumerate(wanted):
            picked = (w & valid)[:, None, None, :] & visible[None, None]
            mass = np.where(picked, a.astype(np.float64), 0.0).sum(axis=3)  # [B, H, T]
            mass = np.where(targets[:, None, :], mass, 0.0)
            out[:, :, r] = mass.sum(axis=2) / np.maximum(targets.sum(axis=1), 1)[:, None]
        return out
