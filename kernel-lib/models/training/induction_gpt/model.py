"""An attention-only GPT-2 (no MLP blocks) with transformers' GPT2Attention op sequence and module names."""

import torch
import torch.nn as nn
import torch.nn.functional as F


class GPT2Attention(nn.Module):
    """Op sequence of transformers' eager GPT2Attention (fused c_attn, Where causal mask)."""

    def __init__(self, cfg):
        super().__init__()
        d = cfg["n_embd"]
        n = cfg["n_positions"]
        self.embed_dim = d
        self.num_heads = cfg["n_head"]
        self.head_dim = d // self.num_heads
        self.c_attn = nn.Linear(d, 3 * d)
        self.c_proj = nn.Linear(d, d)
        self.register_buffer("bias", torch.tril(torch.ones((n, n), dtype=torch.bool)).view(1, 1, n, n), persistent=False)

    def _split_heads(self, x):
        return x.view(x.size()[:-1] + (self.num_heads, self.head_dim)).permute(0, 2, 1, 3)

    def forward(self, x, attention_mask, head_mask=None):
        q, k, v = self.c_attn(x).split(self.embed_dim, dim=2)
        q, k, v = self._split_heads(q), self._split_heads(k), self._split_heads(v)
        w = torch.matmul(q, k.transpose(-1, -2))
        w = w / torch.full([], v.size(-1) ** 0.5, dtype=w.dtype)
        ql, kl = q.size(-2), k.size(-2)
        causal = self.bias[:, :, kl - ql : kl, :kl]
        w = torch.where(causal, w, torch.full([], torch.finfo(w.dtype).min, dtype=w.dtype))
        w = w + attention_mask
        p = F.softmax(w, dim=-1)
        o = torch.matmul(p, v)
        if head_mask is not None:
            o = o * head_mask.view(1, -1, 1, 1)
        o = o.permute(0, 2, 1, 3).contiguous()
        o = o.view(o.size()[:-2] + (self.embed_dim,))
        return self.c_proj(o), p


class GPT2Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.ln_1 = nn.LayerNorm(cfg["n_embd"], eps=1e-5)
        self.attn = GPT2Attention(cfg)

    def forward(self, x, mask, head_mask=None):
        a, p = self.attn(self.ln_1(x), mask, head_mask)
        return x + a, p


class GPT2Model(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.wte = nn.Embedding(cfg["vocab_size"], cfg["n_embd"])
        self.wpe = nn.Embedding(cfg["n_positions"], cfg["n_embd"])
        self.h = nn.ModuleList([GPT2Block(cfg) for _ in range(cfg["n_layer"])])
        self.ln_f = nn.LayerNorm(cfg["n_embd"], eps=1e-5)

    def forward(self, input_ids, attention_mask, head_masks=None):
        T = input_ids.size(-1)
        position_ids = torch.arange(0, T, dtype=torch.long).unsqueeze(0)
        x = self.wte(input_ids) + self.wpe(position_ids)
        m = attention_mask[:, None, None, :].to(x.dtype)
        # transformers uses float32.min here; added to the Where's float32.min that gives -inf and a
        # NaN row for a left-padded query. -10000 (older transformers) keeps every row finite.
        m = (1.0 - m) * -10000.0
        probs = []
        for i, block in enumerate(self.h):
            x, p = block(x, m, None if head_masks is None else head_masks[i])
            probs.append(p)
        return self.ln_f(x), probs


class GPT2LMHeadModel(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.transformer = GPT2Model(cfg)
        self.lm_head = nn.Linear(cfg["n_embd"], cfg["vocab_size"], bias=False)

    def forward(self, input_ids, attention_mask, head_masks=None):
        h, probs = self.transformer(input_ids, attention_mask, head_masks)
        return self.lm_head(h), probs


class GPT2Export(nn.Module):
    def __init__(self, m):
        super().__init__()
        self.transformer = m.transformer
        self.lm_head = m.lm_head

    def forward(self, input_ids, attention_mask):
        h, _ = self.transformer(input_ids, attention_mask)
        return self.lm_head(h)


def sinusoidal(n, d):
    """Sinusoidal position table [n, d], the starting point of the learned position embeddings."""
    pos = torch.arange(n, dtype=torch.float32)[:, None]
    ang = pos / (10000 ** (torch.arange(0, d, 2, dtype=torch.float32) / d))
    pe = torch.zeros(n, d)
    pe[:, 0::2] = torch.sin(ang)
    pe[:, 1::2] = torch.cos(ang)
    return pe
