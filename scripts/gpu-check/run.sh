#!/usr/bin/env bash
# The one command for a lent GPU machine (no network, no Node needed there):
#
#   bash scripts/gpu-check/run.sh [--bundle DIR] [--quick] [--providers cpu,webgpu,cuda] [--budget-s N]
#
# run from the repository root with the bundle from `node scripts/gpu-check/pack.mjs` beside it
# (.gpu-bundle, carried). Unpacks to /tmp, then scripts/gpu-check/bench.mjs probes the machine and
# runs the extraction and in-graph-metrics benchmarks per provider, each in its own time-boxed
# process. Writes gpu-check.md and gpu-check.json to $OUT (when set) or out/gpu-check/, and the
# table to stdout. Everything fits in 5 minutes; see docs/gpu-check.md.
set -uo pipefail
start=$(date +%s.%N)
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
bundle="$root/.gpu-bundle"
pass=()
while [ $# -gt 0 ]; do
  case "$1" in
    --bundle) bundle=$2; shift 2 ;;
    --bundle=*) bundle=${1#--bundle=}; shift ;;
    *) pass+=("$1"); shift ;;
  esac
done
die() { echo "gpu-check: $*" >&2; exit 2; }
[ -f "$bundle/manifest.json" ] || die "no bundle at $bundle: run \`node scripts/gpu-check/pack.mjs\` where the project is built, and carry .gpu-bundle"

if ! sums=$(cd "$bundle" && sha256sum -c SHA256SUMS 2>&1); then
  die "the bundle at $bundle does not match its SHA256SUMS ($(grep -v ': OK$' <<<"$sums" | grep -v '^sha256sum:' | paste -sd ';' -)): pack it again"
fi

# A decompressor: xz, else the bundle's own xz, else Python's lzma module.
if command -v xz >/dev/null 2>&1; then
  unxz() { xz -dc "$1"; }
elif LD_LIBRARY_PATH="$bundle/xz" "$bundle/xz/xz" --version >/dev/null 2>&1; then
  unxz() { LD_LIBRARY_PATH="$bundle/xz" "$bundle/xz/xz" -dc "$1"; }
elif command -v python3 >/dev/null 2>&1; then
  unxz() { python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), sys.stdout.buffer)' "$1"; }
else
  die "no way to decompress .xz here (no xz, the bundled xz does not run, no python3)"
fi

work=$(mktemp -d /tmp/attnlens-gpu-check.XXXXXX) || die "cannot make a folder under /tmp"
trap 'rm -rf "$work"' EXIT
ortlib=$(sed -n 's/.*"unpackTo": "\(app\/[^"]*libonnxruntime.so.1\)".*/\1/p' "$bundle/manifest.json")
[ -n "$ortlib" ] || die "the manifest names no libonnxruntime.so.1"
mkdir -p "$work/bin" "$(dirname "$work/$ortlib")"
# The three parts in parallel: the two big ones are most of the time.
unxz "$bundle/node.xz" >"$work/bin/node" & p1=$!
unxz "$bundle/libonnxruntime.so.1.xz" >"$work/$ortlib" & p2=$!
unxz "$bundle/app.tar.xz" | tar -x -C "$work" & p3=$!
wait $p1 && wait $p2 && wait $p3 || die "unpacking the bundle into $work failed (disk full?)"
chmod +x "$work/bin/node"
unpacked=$(date +%s.%N)

out=${OUT:-$root/out/gpu-check}
mkdir -p "$out" || die "cannot write to $out"
unpack_s=$(awk "BEGIN { printf \"%.1f\", $unpacked - $start }")
# bench.mjs keeps its own deadline (every part time-boxed); `timeout` is the net under it.
guard=()
command -v timeout >/dev/null 2>&1 && guard=(timeout -k 10 330)
"${guard[@]}" "$work/bin/node" "$here/bench.mjs" --app "$work/app" --libs "$work/lib" --bundle "$bundle" \
  --out "$out" --unpack-s "$unpack_s" "${pass[@]}"
