"""A word-level tokenizer.json for a random-weight case, made offline with the tokenizers library: the
config's special tokens at their ids, plain words for the rest, and the family's template (T5 and Marian
end with </s>, BART wraps in <s> … </s>). Saved beside the ONNX files so loadModel(dir).run(text) works."""
from __future__ import annotations

from pathlib import Path

from tokenizers import Tokenizer, models, pre_tokenizers, processors
from transformers import PreTrainedTokenizerFast

# Readable words for the ids the specials leave free (sentences in the tests are made of these).
WORDS = ("the a an cat dog bird fish tree house river street city sun moon star rain snow wind fire water "
         "red blue green black white small big old new fast slow happy sad warm cold dark light "
         "runs walks sees eats sleeps sings reads writes jumps swims flies sits stands looks finds "
         "under over near far inside behind before after with without and but or because while then "
         "one two three four five six seven eight nine ten morning evening night day week year "
         "bread milk apple stone paper book song road hill field garden window door table chair "
         "king queen child friend teacher farmer doctor artist sailor baker").split()


def special_ids(config) -> dict[str, int]:
    """The specials the model's config names (pad, eos, bos), plus <unk> at the first free id."""
    named = {"<pad>": config.pad_token_id, "</s>": config.eos_token_id}
    if config.model_type == "bart":
        named["<s>"] = config.bos_token_id
    if config.model_type == "whisper":
        named["<|startoftranscript|>"] = config.decoder_start_token_id
    taken = set(named.values())
    named["<unk>"] = next(i for i in range(config.vocab_size) if i not in taken)
    return named


def word_tokenizer(config) -> PreTrainedTokenizerFast:
    specials = special_ids(config)
    by_id = {i: t for t, i in specials.items()}
    words = iter(WORDS)
    vocab = {}
    for i in range(config.vocab_size):
        vocab[by_id[i] if i in by_id else next(words, f"w{i}")] = i
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    if config.model_type == "bart":
        tok.post_processor = processors.TemplateProcessing(
            single="<s> $A </s>", special_tokens=[("<s>", specials["<s>"]), ("</s>", specials["</s>"])])
    else:
        tok.post_processor = processors.TemplateProcessing(single="$A </s>", special_tokens=[("</s>", specials["</s>"])])
    extra = {"bos_token": "<s>"} if "<s>" in specials else {}
    start = [t for t in specials if t.startswith("<|")]
    return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", eos_token="</s>", unk_token="<unk>",
                                   model_max_length=64, padding_side="right", additional_special_tokens=start,
                                   **extra)


def save_word_tokenizer(out: str, config) -> PreTrainedTokenizerFast:
    tok = word_tokenizer(config)
    tok.save_pretrained(Path(out))
    return tok
