"""A BART-style encoder-decoder with transformers' BartAttention op order and module names, its
transformers-style init, and the two halves exported as optimum's encoder_model / decoder_model."""

import torch
import torch.nn as nn
import torch.nn.functional as F


def hf_init(module, std=0.02):
    """transformers-style init: N(0, std) weights, zero biases, unit LayerNorms."""
    for m in module.modules():
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0.0, std)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Embedding):
            nn.init.normal_(m.weight, 0.0, std)
        elif isinstance(m, nn.LayerNorm):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)


class BartAttention(nn.Module):
    """transformers' BartAttention op order (Q scaled before the product), kept 4-D."""

    def __init__(self, d, h):
        super().__init__()
        self.embed_dim = d
        self.num_heads = h
        self.head_dim = d // h
        self.scaling = self.head_dim ** -0.5
        self.q_proj = nn.Linear(d, d)
        self.k_proj = nn.Linear(d, d)
        self.v_proj = nn.Linear(d, d)
        self.out_proj = nn.Linear(d, d)

    def _shape(self, x, bsz):
        return x.view(bsz, -1, self.num_heads, self.head_dim).transpose(1, 2)

    def forward(self, hidden_states, key_value_states=None, attention_mask=None):
        bsz, tgt_len, _ = hidden_states.size()
        q = self._shape(self.q_proj(hidden_states) * self.scaling, bsz)
        src = hidden_states if key_value_states is None else key_value_states
        k = self._shape(self.k_proj(src), bsz)
        v = self._shape(self.v_proj(src), bsz)
        w = torch.matmul(q, k.transpose(-1, -2))
        if attention_mask is not None:
            w = w + attention_mask
        p = F.softmax(w, dim=-1)
        o = torch.matmul(p, v)
        o = o.transpose(1, 2).reshape(bsz, tgt_len, self.embed_dim)
        return self.out_proj(o), p


class BartEncoderLayer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d = cfg["d_model"]
        self.self_attn = BartAttention(d, cfg["encoder_attention_heads"])
        self.self_attn_layer_norm = nn.LayerNorm(d)
        self.fc1 = nn.Linear(d, cfg["encoder_ffn_dim"])
        self.fc2 = nn.Linear(cfg["encoder_ffn_dim"], d)
        self.final_layer_norm = nn.LayerNorm(d)

    def forward(self, x, mask):
        a, p = self.self_attn(x, attention_mask=mask)
        x = self.self_attn_layer_norm(x + a)
        x = self.final_layer_norm(x + self.fc2(F.gelu(self.fc1(x))))
        return x, p


class BartDecoderLayer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d = cfg["d_model"]
        self.self_attn = BartAttention(d, cfg["decoder_attention_heads"])
        self.self_attn_layer_norm = nn.LayerNorm(d)
        self.encoder_attn = BartAttention(d, cfg["decoder_attention_heads"])
        self.encoder_attn_layer_norm = nn.LayerNorm(d)
        self.fc1 = nn.Linear(d, cfg["decoder_ffn_dim"])
        self.fc2 = nn.Linear(cfg["decoder_ffn_dim"], d)
        self.final_layer_norm = nn.LayerNorm(d)

    def forward(self, x, self_mask, enc, enc_mask):
        a, ps = self.self_attn(x, attention_mask=self_mask)
        x = self.self_attn_layer_norm(x + a)
        a, pc = self.encoder_attn(x, key_value_states=enc, attention_mask=enc_mask)
        x = self.encoder_attn_layer_norm(x + a)
        x = self.final_layer_norm(x + self.fc2(F.gelu(self.fc1(x))))
        return x, ps, pc


def expand_mask(mask, dtype=torch.float32):
    m = mask[:, None, None, :].to(dtype)
    return (1.0 - m) * torch.finfo(dtype).min


class BartStack(nn.Module):
    """What the encoder and the decoder share: the (shared) token embeddings plus their own learned
    positions, LayerNorm, then `n_layers` layers. Submodules are created in this order (the seeded init
    depends on it)."""

    def __init__(self, cfg, embed_tokens, make_layer, n_layers):
        super().__init__()
        d = cfg["d_model"]
        self.embed_tokens = embed_tokens
        self.embed_positions = nn.Embedding(cfg["max_position_embeddings"], d)
        self.layernorm_embedding = nn.LayerNorm(d)
        self.layers = nn.ModuleList([make_layer(cfg) for _ in range(n_layers)])

    def embed(self, input_ids):
        """-> embedded input, and its length (traced once; the decoder's causal mask reuses it)."""
        T = input_ids.size(1)
        pos = torch.arange(0, T, dtype=torch.long).unsqueeze(0)
        return self.layernorm_embedding(self.embed_tokens(input_ids) + self.embed_positions(pos)), T


class BartEncoder(BartStack):
    def __init__(self, cfg, embed_tokens):
        super().__init__(cfg, embed_tokens, BartEncoderLayer, cfg["encoder_layers"])

    def forward(self, input_ids, attention_mask):
        x, _ = self.embed(input_ids)
        m = expand_mask(attention_mask)
        probs = []
        for layer in self.layers:
            x, p = layer(x, m)
            probs.append(p)
        return x, probs


class BartDecoder(BartStack):
    def __init__(self, cfg, embed_tokens):
        super().__init__(cfg, embed_tokens, BartDecoderLayer, cfg["decoder_layers"])

    def forward(self, input_ids, encoder_hidden_states, encoder_attention_mask):
        x, T = self.embed(input_ids)
        # causal mask as in transformers' _make_causal_mask
        causal = torch.full((T, T), torch.finfo(x.dtype).min)
        cond = torch.arange(T)
        causal = causal.masked_fill(cond < (cond + 1).view(T, 1), 0.0)[None, None, :, :]
        enc_mask = expand_mask(encoder_attention_mask)
        self_probs, cross_probs = [], []
        for layer in self.layers:
            x, ps, pc = layer(x, causal, encoder_hidden_states, enc_mask)
            self_probs.append(ps)
            cross_probs.append(pc)
        return x, self_probs, cross_probs


class BartModel(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.shared = nn.Embedding(cfg["vocab_size"], cfg["d_model"], padding_idx=cfg["pad_token_id"])
        self.encoder = BartEncoder(cfg, self.shared)
        self.decoder = BartDecoder(cfg, self.shared)


class BartForConditionalGeneration(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.model = BartModel(cfg)
        self.lm_head = nn.Linear(cfg["d_model"], cfg["vocab_size"], bias=False)
        self.lm_head.weight = self.model.shared.weight

    def forward(self, input_ids, attention_mask, decoder_input_ids):
        enc, enc_probs = self.model.encoder(input_ids, attention_mask)
        dec, sp, cp = self.model.decoder(decoder_input_ids, enc, attention_mask)
        return self.lm_head(dec), enc_probs, sp, cp


class EncoderExport(nn.Module):
    def __init__(self, m):
        super().__init__()
        self.encoder = m.model.encoder

    def forward(self, input_ids, attention_mask):
        return self.encoder(input_ids, attention_mask)[0]


class DecoderExport(nn.Module):
    def __init__(self, m):
        super().__init__()
        self.decoder = m.model.decoder
        self.lm_head = m.lm_head

    def forward(self, input_ids, encoder_hidden_states, encoder_attention_mask):
        h = self.decoder(input_ids, encoder_hidden_states, encoder_attention_mask)[0]
        return self.lm_head(h)
