"""Text helpers every triage module shares: one accent fold, so cue words and transcripts are compared the
same way everywhere, and one test for Chinese characters."""

from __future__ import annotations

import re
import unicodedata

# Han characters (CJK unified ideographs and extension A): Chinese text, whatever the language tag says.
HAN = re.compile(r"[\u3400-\u9fff]")

# Latin letters with an accent to their base letter, the curly apostrophe to "'", and full-width Chinese
# punctuation to ASCII (so clause and sentence splitters see "，" and "。"). One character for one.
_FOLD = {
    code: base[0]
    for code in range(0xC0, 0x250)
    if len(base := unicodedata.normalize("NFKD", chr(code))) > 1 and base[0].isascii()
} | {
    ord("’"): "'",
    ord("？"): "?",
    ord("，"): ",",
    ord("！"): "!",
    ord("。"): ".",
    ord("；"): ";",
    ord("："): ":",
}


def fold(text: str) -> str:
    """Lower case with accents off ("Llámame" -> "llamame"), one character for one, so a match's offsets in
    the folded text are the same in the original."""
    folded = text.translate(_FOLD)
    lowered = folded.lower()
    if len(lowered) == len(text):
        return lowered
    # A letter whose lower case is longer ("İ" -> "i̇"): that letter is kept as it was.
    return "".join(c if len(c.lower()) > 1 else c.lower() for c in folded)


def has_han(text: str) -> bool:
    """True when ``text`` holds Chinese characters (then words are not separated by spaces)."""
    return HAN.search(text) is not None


def phrases(*words: str, cjk: str = "") -> re.Pattern[str]:
    """One pattern matching any of ``words`` as whole words (written with or without accents, matched on
    folded text), or any of the Chinese ``cjk`` (no spaces to bound them)."""
    latin = r"\b(?:" + "|".join(fold(w) for w in words) + r")\b"
    return re.compile(latin + (f"|{cjk}" if cjk else ""))
