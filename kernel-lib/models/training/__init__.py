"""Training and export of the attnlens demo models; ../train_demo_models.py is the command line.

One subpackage per model (its data, model, training run, head measurements, exported files and model
card); the modules at this level are shared by the three.
"""

from . import agreement_bert, induction_gpt, reverse_encdec

# command-line name -> (model directory, train_and_export(out_dir, threads, quick))
MODELS = {
    "bert": ("tiny-agreement-bert", agreement_bert.train_and_export),
    "gpt": ("tiny-induction-gpt", induction_gpt.train_and_export),
    "encdec": ("tiny-reverse-encdec", reverse_encdec.train_and_export),
}
