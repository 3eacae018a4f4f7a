"""Rounding of measured numbers before they go into JSON, so the files stay small and stable."""

import numpy as np


def r4(x):
    return float(round(float(x), 4))


def nested_round(a, nd=5):
    return np.round(np.asarray(a, dtype=np.float64), nd).tolist()
