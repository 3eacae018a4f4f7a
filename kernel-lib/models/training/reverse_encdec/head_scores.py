"""Per-head attention scores of tiny-reverse-encdec on the held-out sequences: [layer, head] tables."""

import numpy as np
import torch


def measure_head_scores(seqs, probs):
    """seqs: the source word sequences; probs: evaluate's (encoder, decoder self, cross) probabilities.
    Averages over the real (unpadded) positions of every sequence of n words, source </s> at n."""
    enc_p, self_p, cross_p = probs
    CP = torch.stack(cross_p, 1).numpy()  # [B, L, H, Tdec, Tsrc]
    SP = torch.stack(self_p, 1).numpy()
    EP = torch.stack(enc_p, 1).numpy()
    NLd, H = CP.shape[1], CP.shape[2]
    NLe = EP.shape[1]
    out_align = np.zeros((NLd, H))  # argmax == source of the token being produced
    out_weight = np.zeros((NLd, H))
    in_align = np.zeros((NLd, H))  # argmax == source of the decoder input token
    in_weight = np.zeros((NLd, H))
    eos_w = np.zeros((NLd, H))
    n_out = n_in = 0
    dec_prev = np.zeros((NLd, H))
    dec_first = np.zeros((NLd, H))
    n_dec = 0
    enc_prev = np.zeros((NLe, H))
    enc_next = np.zeros((NLe, H))
    enc_eos = np.zeros((NLe, H))
    enc_mirror = np.zeros((NLe, H))
    n_enc = 0
    for b, x in enumerate(seqs):
        n = len(x)
        for t in range(n):  # decoder position t produces x[n-1-t]
            row = CP[b, :, :, t, : n + 1]
            out_align += row.argmax(-1) == (n - 1 - t)
            out_weight += row[:, :, n - 1 - t]
            eos_w += row[:, :, n]
            n_out += 1
            if t >= 1:  # decoder input at t is x[n-t]
                in_align += row.argmax(-1) == (n - t)
                in_weight += row[:, :, n - t]
                n_in += 1
        for t in range(1, n + 1):
            dec_prev += SP[b, :, :, t, t - 1]
            dec_first += SP[b, :, :, t, 0]
            n_dec += 1
        for i in range(n):
            enc_eos += EP[b, :, :, i, n]
            enc_mirror += EP[b, :, :, i, n - 1 - i]
            if i >= 1:
                enc_prev += EP[b, :, :, i, i - 1]
            enc_next += EP[b, :, :, i, i + 1]
            n_enc += 1
    out_align /= n_out
    out_weight /= n_out
    in_align /= n_in
    in_weight /= n_in
    eos_w /= n_out
    dec_prev /= n_dec
    dec_first /= n_dec
    enc_prev /= n_enc
    enc_next /= n_enc
    enc_eos /= n_enc
    enc_mirror /= n_enc
    return {
        "out_align": out_align, "out_weight": out_weight, "in_align": in_align, "in_weight": in_weight, "eos_w": eos_w,
        "dec_prev": dec_prev, "dec_first": dec_first,
        "enc_prev": enc_prev, "enc_next": enc_next, "enc_eos": enc_eos, "enc_mirror": enc_mirror,
    }
