"""Greedy decoding with the torch model (for the held-out accuracy and the reference output)."""

import torch


def ed_greedy(model, src, mask, vocab, max_new):
    with torch.no_grad():
        enc, _ = model.model.encoder(src, mask)
        ys = torch.full((src.size(0), 1), vocab["<s>"], dtype=torch.long)
        done = torch.zeros(src.size(0), dtype=torch.bool)
        for _ in range(max_new):
            h, _, _ = model.model.decoder(ys, enc, mask)
            nxt = model.lm_head(h[:, -1]).argmax(-1)
            nxt = torch.where(done, torch.full_like(nxt, vocab["<pad>"]), nxt)
            ys = torch.cat([ys, nxt[:, None]], 1)
            done |= nxt == vocab["</s>"]
            if bool(done.all()):
                break
    return ys[:, 1:]
