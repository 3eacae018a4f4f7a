"""tokenizer.json (Hugging Face tokenizers format) and tokenizer_config.json contents."""


def special(id_, content):
    return {
        "id": id_,
        "content": content,
        "single_word": False,
        "lstrip": False,
        "rstrip": False,
        "normalized": False,
        "special": True,
    }


def build_vocab(specials, words):
    """Token -> id: the special tokens first, then the words in order of first appearance."""
    vocab = {t: i for i, t in enumerate(specials)}
    for w in words:
        if w not in vocab:
            vocab[w] = len(vocab)
    return vocab


def tokenizer_json(vocab, specials, normalizer, pre_tokenizer, post_processor, decoder, model):
    """The tokenizer.json layout every model shares; the specials become added_tokens."""
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [special(vocab[t], t) for t in specials],
        "normalizer": normalizer,
        "pre_tokenizer": pre_tokenizer,
        "post_processor": post_processor,
        "decoder": decoder,
        "model": model,
    }


def added_tokens_decoder(vocab, specials):
    """tokenizer_config.json's added_tokens_decoder: id -> the special token without its id."""
    return {str(vocab[t]): {k: v for k, v in special(vocab[t], t).items() if k != "id"} for t in specials}


# ---------------------------------------------------------------------------------------------
# WordPiece (tiny-agreement-bert)
# ---------------------------------------------------------------------------------------------


def wordpiece_tokenizer_json(vocab, specials):
    """BertNormalizer + BertPreTokenizer + WordPiece, with the [CLS] A [SEP] (B [SEP]) template."""
    cls, sep = vocab["[CLS]"], vocab["[SEP]"]
    return tokenizer_json(
        vocab, specials,
        normalizer={
            "type": "BertNormalizer",
            "clean_text": True,
            "handle_chinese_chars": True,
            "strip_accents": None,
            "lowercase": True,
        },
        pre_tokenizer={"type": "BertPreTokenizer"},
        post_processor={
            "type": "TemplateProcessing",
            "single": [
                {"SpecialToken": {"id": "[CLS]", "type_id": 0}},
                {"Sequence": {"id": "A", "type_id": 0}},
                {"SpecialToken": {"id": "[SEP]", "type_id": 0}},
            ],
            "pair": [
                {"SpecialToken": {"id": "[CLS]", "type_id": 0}},
                {"Sequence": {"id": "A", "type_id": 0}},
                {"SpecialToken": {"id": "[SEP]", "type_id": 0}},
                {"Sequence": {"id": "B", "type_id": 1}},
                {"SpecialToken": {"id": "[SEP]", "type_id": 1}},
            ],
            "special_tokens": {
                "[CLS]": {"id": "[CLS]", "ids": [cls], "tokens": ["[CLS]"]},
                "[SEP]": {"id": "[SEP]", "ids": [sep], "tokens": ["[SEP]"]},
            },
        },
        decoder={"type": "WordPiece", "prefix": "##", "cleanup": True},
        model={
            "type": "WordPiece",
            "unk_token": "[UNK]",
            "continuing_subword_prefix": "##",
            "max_input_chars_per_word": 100,
            "vocab": vocab,
        },
    )


def bert_tokenizer_config(vocab, specials, max_len):
    return {
        "tokenizer_class": "BertTokenizer",
        "do_lower_case": True,
        "model_max_length": max_len,
        "cls_token": "[CLS]",
        "sep_token": "[SEP]",
        "pad_token": "[PAD]",
        "mask_token": "[MASK]",
        "unk_token": "[UNK]",
        "clean_up_tokenization_spaces": True,
        "added_tokens_decoder": added_tokens_decoder(vocab, specials),
    }


# ---------------------------------------------------------------------------------------------
# WordLevel (tiny-induction-gpt, tiny-reverse-encdec)
# ---------------------------------------------------------------------------------------------


def word_level_tokenizer_json(vocab, specials, post_processor, lowercase=True):
    return tokenizer_json(
        vocab, specials,
        normalizer={"type": "Lowercase"} if lowercase else None,
        pre_tokenizer={"type": "WhitespaceSplit"},
        post_processor=post_processor,
        decoder=None,
        model={"type": "WordLevel", "vocab": vocab, "unk_token": [t for t in specials if "unk" in t][0]},
    )


def prepend_template(vocab, bos):
    """TemplateProcessing that puts `bos` before the sequence (and before a pair)."""
    return {
        "type": "TemplateProcessing",
        "single": [{"SpecialToken": {"id": bos, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
        "pair": [{"SpecialToken": {"id": bos, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                 {"Sequence": {"id": "B", "type_id": 0}}],
        "special_tokens": {bos: {"id": bos, "ids": [vocab[bos]], "tokens": [bos]}},
    }


def append_template(vocab, eos):
    """TemplateProcessing that puts `eos` after the sequence (and after each sequence of a pair)."""
    return {
        "type": "TemplateProcessing",
        "single": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": eos, "type_id": 0}}],
        "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": eos, "type_id": 0}},
                 {"Sequence": {"id": "B", "type_id": 0}}, {"SpecialToken": {"id": eos, "type_id": 0}}],
        "special_tokens": {eos: {"id": eos, "ids": [vocab[eos]], "tokens": [eos]}},
    }


def word_level_tokenizer_config(vocab, specials, bos, eos, pad, unk, max_len):
    return {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": bos, "eos_token": eos, "pad_token": pad, "unk_token": unk,
        "model_max_length": max_len, "clean_up_tokenization_spaces": False,
        "added_tokens_decoder": added_tokens_decoder(vocab, specials),
    }
