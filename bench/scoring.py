"""How the benchmark scores a run: corpus-level WER (CER for Mandarin) after Whisper's normalisers, over the
groups a reader asks about (split, condition, English or not, length), and no-speech mistakes both ways.

Mandarin is compared in simplified characters (OpenCC): Whisper writes either script for the same words (the
reference and Voice each wrote traditional on some files of the same run), and a script is not a mistake."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import jiwer
import numpy as np

from bench.corpus import Item

# File lengths (s) the short set is reported by: real voicemails are mostly under 15 s.
BUCKETS = (("under 8 s", 0.0, 8.0), ("8-15 s", 8.0, 15.0), ("15 s and over", 15.0, float("inf")))


@functools.cache
def _normalisers() -> tuple[Any, Any]:
    from whisper.normalizers import BasicTextNormalizer, EnglishTextNormalizer

    return EnglishTextNormalizer(), BasicTextNormalizer()


@functools.cache
def _simplified() -> Any:
    import opencc

    return opencc.OpenCC("t2s")


def normalise(text: str, language: str) -> str:
    english, basic = _normalisers()
    if language == "zh":  # character error rate: one "word" per character, spaces dropped
        return " ".join(basic(_simplified().convert(text)).replace(" ", ""))
    return " ".join((english if language == "en" else basic)(text).split())


def error_rate(pairs: list[tuple[str, str, str]]) -> float | None:
    """Corpus-level WER (CER for Mandarin) over (language, reference, hypothesis)."""
    refs = [normalise(r, lang) for lang, r, _ in pairs]
    hyps = [normalise(h, lang) for lang, _, h in pairs]
    keep = [i for i, r in enumerate(refs) if r]
    if not keep:
        return None
    return float(jiwer.wer([refs[i] for i in keep], [hyps[i] for i in keep]))


def _edits(pairs: list[tuple[str, str, str]]) -> tuple[np.ndarray, np.ndarray]:
    """Per file: the errors (substitutions, deletions, insertions) and the reference's words."""
    errors, words = [], []
    for lang, ref, hyp in pairs:
        r, h = normalise(ref, lang), normalise(hyp, lang)
        if not r:
            continue
        out = jiwer.process_words(r, h)
        errors.append(out.substitutions + out.deletions + out.insertions)
        words.append(len(r.split()))
    return np.array(errors, dtype=float), np.array(words, dtype=float)


Pairs = list[tuple[str, str, str]]  # (language, reference, hypothesis) per file


def wer_difference(
    pairs_a: Pairs, pairs_b: Pairs, rounds: int = 4000, seed: int = 0
) -> dict[str, float] | None:
    """B's corpus WER minus A's, in points, on the same files, with a 95% paired bootstrap interval (files
    drawn with replacement, both engines' errors on each drawn file): how sure a difference is on a set of a
    few hundred words, where a handful of words moves WER by a point."""
    errors_a, words = _edits(pairs_a)
    errors_b, words_b = _edits(pairs_b)
    if not len(words) or not np.array_equal(words, words_b):
        return None
    diff = (errors_b - errors_a) / words.sum()
    draws = np.random.default_rng(seed).integers(0, len(words), size=(rounds, len(words)))
    samples = (errors_b - errors_a)[draws].sum(axis=1) / words[draws].sum(axis=1)
    low, high = np.percentile(samples, [2.5, 97.5])
    points, low, high = (round(float(x) * 100, 2) for x in (diff.sum(), low, high))
    return {"points": points, "low": low, "high": high}


def percent(x: float | None) -> float | None:
    return None if x is None else round(x * 100, 2)


def bucket_of(seconds: float) -> str:
    return next(name for name, low, high in BUCKETS if low <= seconds < high)


def groups(items: list[Item], durations: dict[str, float]) -> dict[str, list[Item]]:
    """The named subsets every figure is also given for (no-speech files go with their condition and
    length, where they count for words written on silence, not for WER)."""
    tests: list[tuple[str, Callable[[Item], bool]]] = [
        ("all", lambda i: True),
        ("dev", lambda i: i.split == "dev" and not i.no_speech),
        ("test (held out)", lambda i: i.split == "test" and not i.no_speech),
        *[(c, (lambda i, c=c: i.condition == c)) for c in sorted({i.condition for i in items})],
        ("English", lambda i: i.language == "en"),
        ("other languages", lambda i: i.language not in ("en", "")),
        *[(b, (lambda i, b=b: bucket_of(durations[i.name]) == b)) for b, _, _ in BUCKETS],
    ]
    named = {name: [i for i in items if test(i)] for name, test in tests}
    return {name: group for name, group in named.items() if group}


def score(items: list[Item], texts: dict[str, str], empty: set[str]) -> dict[str, Any]:
    """WER and no-speech figures for ``items``; ``empty``: the names stored with no speech at all."""
    speech = [i for i in items if not i.no_speech]
    by_language = sorted({i.language for i in speech})
    return {
        "wer": percent(error_rate([(i.language, i.reference, texts.get(i.name, "")) for i in speech])),
        "wer_by_language": {
            lang: percent(
                error_rate(
                    [(i.language, i.reference, texts.get(i.name, "")) for i in speech if i.language == lang]
                )
            )
            for lang in by_language
        },
        "no_speech_words": sum(len(texts.get(i.name, "").split()) for i in items if i.no_speech),
        "false_no_speech": sorted(i.name for i in speech if i.name in empty),
    }
