"""Every case, by module: each module owns one group of families."""
from __future__ import annotations

from importlib import import_module

from ..case import Case

MODULES = ["encoders", "decoders", "cached", "pretrained", "vision"]


def all_cases() -> list[Case]:
    cases: list[Case] = []
    for m in MODULES:
        cases += import_module(f"{__name__}.{m}").CASES
    names = [c.name for c in cases]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise SystemExit(f"refmodels: case names used twice: {sorted(dup)}")
    return cases
