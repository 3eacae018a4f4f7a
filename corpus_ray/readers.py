"""The corpus in shards: byte ranges of a .txt / .jsonl file (a line belongs to the shard holding its
first byte) or row groups of a Parquet / Arrow file. Planning reads only sizes and footers; each
worker reads its own shard, so a shard is the unit Ray retries and the key its aggregate is stored
under. Bad rows are counted with their line (1-based, within the shard until the driver adds the
lines of the shards before it) and reading goes on.
"""
import json
import os

SHARD_BYTES = 4 << 20
MAX_PROBLEMS = 100


def kind_of(path):
    low = path.lower()
    if low.endswith(".txt"):
        return "txt"
    if low.endswith(".jsonl") or low.endswith(".ndjson"):
        return "jsonl"
    if low.endswith(".parquet") or low.endswith(".pq"):
        return "parquet"
    if low.endswith(".arrow") or low.endswith(".feather") or low.endswith(".ipc"):
        return "arrow"
    raise ValueError(f"{path}: DATA must be .txt, .jsonl, .parquet or .arrow")


def plan(path, shard_bytes=SHARD_BYTES):
    """The shards of `path`: [{"shard": k, "path", "kind", ...range}], plus whole-file problems."""
    kind = kind_of(path)
    if kind in ("txt", "jsonl"):
        size = os.path.getsize(path)
        starts = list(range(0, max(size, 1), max(1, shard_bytes)))
        return [{"shard": k, "path": path, "kind": kind, "start": s, "end": min(size, s + shard_bytes)}
                for k, s in enumerate(starts)], []
    try:
        if kind == "parquet":
            import pyarrow.parquet as pq
            groups = pq.ParquetFile(path).metadata.num_row_groups
            return [{"shard": k, "path": path, "kind": kind, "group": k} for k in range(groups)], []
        import pyarrow.ipc as ipc
        with open(path, "rb") as f:
            batches = ipc.open_file(f).num_record_batches
        return [{"shard": k, "path": path, "kind": kind, "group": k} for k in range(batches)], []
    except Exception as e:  # a corrupt file: counted, reported, the job goes on with nothing to read
        return [], [{"line": 0, "reason": f"unreadable {kind} file: {str(e).splitlines()[0][:200]}"}]


def _lines(path, start, end):
    """(line index within the shard, raw bytes without the newline) of lines starting in [start, end)."""
    with open(path, "rb") as f:
        if start > 0:
            f.seek(start - 1)
            f.readline()  # the line holding byte start−1 belongs to the shard before
        k = 0
        while f.tell() < end:
            raw = f.readline()
            if not raw:
                break
            raw = raw[:-1] if raw.endswith(b"\n") else raw
            yield k, raw[:-1] if raw.endswith(b"\r") else raw  # one \r, as kernel-lib/src/corpus/read/lines.ts
            k += 1


def _decode(raw):
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _no_bom(text):
    """A leading BOM dropped, as the local engine's TextDecoder drops it from each line and each
    Parquet / Arrow string (so both engines tokenize, number and show the same text)."""
    return text[1:] if isinstance(text, str) and text.startswith("\ufeff") else text


def _decode_line(raw):
    return _no_bom(_decode(raw))


def read_shard(shard, field="text", pair_field=None):
    """Yields (line, text, pair, None) for each input and (line, None, None, reason) for each bad row."""
    kind = shard["kind"]
    if kind == "txt":
        for k, raw in _lines(shard["path"], shard["start"], shard["end"]):
            text = _decode_line(raw)
            yield (k + 1, None, None, "undecodable") if text is None else (k + 1, text, None, None)
        return
    if kind == "jsonl":
        for k, raw in _lines(shard["path"], shard["start"], shard["end"]):
            line = _decode_line(raw)
            if line is None:
                yield k + 1, None, None, "undecodable"
                continue
            if not line.strip():
                yield k + 1, "", None, None
                continue
            try:
                obj = json.loads(line)
            except ValueError:
                yield k + 1, None, None, "badJson"
                continue
            text = obj.get(field) if isinstance(obj, dict) else None
            pair = obj.get(pair_field) if pair_field and isinstance(obj, dict) else None
            if not isinstance(text, str) or (pair_field and pair is not None and not isinstance(pair, str)):
                yield k + 1, None, None, "missingField"
                continue
            yield k + 1, text, pair, None
        return
    yield from _read_table(shard, field, pair_field)


def _read_table(shard, field, pair_field):
    if shard["kind"] == "parquet":
        import pyarrow.parquet as pq
        table = pq.ParquetFile(shard["path"]).read_row_group(shard["group"])
    else:
        import pyarrow.ipc as ipc
        with open(shard["path"], "rb") as f:
            table = ipc.open_file(f).get_batch(shard["group"])
    names = table.schema.names
    if field not in names:
        for k in range(table.num_rows):
            yield k + 1, None, None, "missingField"
        return
    texts = table.column(field).to_pylist()
    pairs = table.column(pair_field).to_pylist() if pair_field and pair_field in names else [None] * len(texts)
    for k, (text, pair) in enumerate(zip(texts, pairs)):
        text, pair = _no_bom(text), _no_bom(pair)
        if isinstance(text, bytes):
            text = _no_bom(_decode(text))
            if text is None:
                yield k + 1, None, None, "undecodable"
                continue
        if not isinstance(text, str):
            yield k + 1, None, None, "missingField"
            continue
        yield k + 1, text, pair if isinstance(pair, str) else None, None
