#!/usr/bin/python3
"""Train and export the attnlens demo models.

Run with the Debian interpreter that has torch 1.13 + onnx 1.12:

    /usr/bin/python3 kernel-lib/models/train_demo_models.py            # all three
    /usr/bin/python3 kernel-lib/models/train_demo_models.py bert gpt   # some, by name
    /usr/bin/python3 kernel-lib/models/train_demo_models.py --threads 2 encdec

Names: bert (tiny-agreement-bert), gpt (tiny-induction-gpt), encdec (tiny-reverse-encdec).

Every model directory gets: the ONNX file(s) (torch.onnx.export, opset 14, dynamic batch and
sequence axes, Hugging Face optimum layouts, no attention outputs), tokenizer.json (Hugging Face
tokenizers format), tokenizer_config.json, config.json, heads.json (head roles measured on held-out
data from the torch module's own attention probabilities), reference.json (a few tokenized texts
with their ids, plus torch attention probabilities and logits for one probe input, for tests) and
README.md (model card). Seeds are fixed; with the same torch build, BLAS and thread count the
outputs are reproducible.

Speed: Debian's torch 1.13 links the reference BLAS (`BLAS_INFO=generic`), ~10x slower than
OpenBLAS for these matrix sizes. The committed models were trained with OpenBLAS swapped in for
this process only (the Debian package unpacked with `dpkg -x`, nothing installed):

    dpkg -x /var/cache/apt/archives/libopenblas0-pthread_*.deb /tmp/openblas
    OPENBLAS_NUM_THREADS=1 LD_LIBRARY_PATH=/tmp/openblas/usr/lib/x86_64-linux-gnu/openblas-pthread \
        /usr/bin/python3 kernel-lib/models/train_demo_models.py

At ~10 steps/s (an idle core) bert takes ~7 min, gpt ~5 min, encdec ~5 min; on the shared 2-vCPU
machine the committed runs took longer (the model cards give the measured times). Then check
the exports from Node: `node kernel-lib/models/verify_demo_models.mjs`.
"""

# The command line only: the training, measuring and export live in the training/ package next to
# this file, one subpackage per model (training/__init__.py maps the names below to them).

import argparse
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:  # the package next to this file, also when run other than as `python3 <this file>`
    sys.path.insert(0, HERE)

from training import MODELS  # noqa: E402  (needs HERE on sys.path)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("models", nargs="*", help="bert, gpt, encdec (default: all)")
    ap.add_argument("--threads", type=int, default=1, help="torch.set_num_threads (default 1)")
    ap.add_argument("--out", default=HERE, help="parent directory of the model directories")
    ap.add_argument("--quick", action="store_true", help="a few hundred steps only (smoke test; do not commit)")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    if "BLAS_INFO=generic" in torch.__config__.show() and "openblas" not in os.environ.get("LD_LIBRARY_PATH", ""):
        print("note: this torch uses the reference BLAS; training will be ~10x slower (see the docstring for OpenBLAS)", file=sys.stderr)
    names = a.models or list(MODELS)
    for n in names:
        if n not in MODELS:
            sys.exit(f"unknown model {n!r}; choose from {', '.join(MODELS)}")
    for n in names:
        dirname, fn = MODELS[n]
        fn(os.path.join(a.out, dirname), a.threads, a.quick)


if __name__ == "__main__":
    main()
