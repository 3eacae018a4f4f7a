"""Markdown tables for the model cards."""


def fmt_table(rows, header):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in rows:
        lines.append("| " + " | ".join(str(c) for c in r) + " |")
    return "\n".join(lines)


def per_head_table(scores, fmt="{:.2f}"):
    """scores: [layers][heads] -> markdown rows."""
    L = len(scores)
    H = len(scores[0])
    rows = []
    for l in range(L):
        rows.append([f"layer {l}"] + [fmt.format(scores[l][h]) for h in range(H)])
    return fmt_table(rows, [""] + [f"head {h}" for h in range(H)])
