"""Tokenizer, sentence splitter, quote finder and UTF-16 offsets, without NLTK.

Every token and sentence keeps its start/end as Python indices into the ORIGINAL text,
so findings can be highlighted exactly. Matching uses a folded form of each word
(NFC, lower case, accents removed, curly apostrophes made straight), so that "wél",
"Wel" and "wel" or "zo’n" and "zo'n" are the same word to the rules.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import NamedTuple

APOSTROPHES = "'’‘`´"

# A word: a number with separators ("3.50", "12:30", "06-12345678"); letters/digits, optionally joined by an apostrophe or hyphen ("zo'n", "e-mail",
# "privé-bericht", "don't"); or a Dutch clitic that starts with an apostrophe ("'s avonds",
# "'t", "'n") when it does not follow a letter (then the apostrophe opens a quote or is
# part of the previous word).
# Letters and digits, with any combining accents that follow them (text may not be NFC).
_LETTERS = r"(?:[^\W_][\u0300-\u036f]*)+"
_WORD = rf"(?:\d+(?:[.,:/\-]\d+)+|(?<![^\W_])[{APOSTROPHES}][stnkmr](?![^\W_])|{_LETTERS}(?:[{APOSTROPHES}\-]{_LETTERS})*)"
# Emoji and other pictographs (including flags and skin tones), kept as one token.
_EMOJI = r"[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\uFE0F\u200D\U0001F1E6-\U0001F1FF]+"
_TOKEN_RE = re.compile(rf"(?P<word>{_WORD})|(?P<emoji>{_EMOJI})|(?P<punct>[^\s\w]|_)")

# Abbreviations whose full stop does not end a sentence (folded, without the dot).
_ABBREVIATIONS = frozenset(
    "dhr mevr mr mrs ms dr drs ir ing prof bijv bv nr nrs ca evt incl excl etc enz ivm mbt tav "
    "vs o.a i.p.v m.b.t t.a.v d.w.z e.g i.e a.u.b s.v.p no st jr sr".split()
)
_LAST_WORD_RE = re.compile(r"([^\W\d_]+(?:\.[^\W\d_]+)*)$")
# An emoji between a word and a capital also ends a sentence, as people type in comments:
# "dat werkt bij ons gewoon 🙂 Misschien ligt het aan je wifi?"
_SENTENCE_END_RE = re.compile(rf"[.!?…]+|\n\s*\n|\n|(?<=\w)[ \t]*{_EMOJI}(?=[ \t]+[A-ZÀ-ÖØ-Þ])")
_CLOSERS = "\"'”’»)]"

# Quote pairs: opener -> closers. Straight quotes are quotes only when they open after
# a non-letter and close before a non-letter (so "zo'n" and "'s avonds" are not quotes).
_QUOTE_RE = re.compile(
    # The look-ahead holds every alternative's first character: other positions fail at once.
    r"(?=[“„,«\"‘'])(?:"
    r"“[^”“\n]{1,400}[”“]"
    r"|„[^”“„\n]{1,400}[”“]"
    r"|,,[^”“\n]{1,400}[”“\"]"
    r"|«[^»\n]{1,400}»"
    r"|(?<![^\W_])\"[^\"\n]{1,400}\"(?![^\W_])"
    r"|‘[^’‘\n]{1,400}’(?![^\W_])"
    r"|(?<![^\W_'])'(?![stnkmr]\b)[^'\n]{1,400}(?<![\s])'(?![^\W_])"
    r")"
)


class Token(NamedTuple):  # a NamedTuple: a 500-character reply makes ~100 of these per analysis
    text: str  # as written in the original text
    norm: str  # folded form used for matching
    kind: str  # "word", "emoji" or "punct"
    start: int
    end: int


class Sentence(NamedTuple):
    start: int
    end: int
    tokens: tuple[Token, ...]
    is_question: bool


@lru_cache(maxsize=8192)
def fold(word: str) -> str:
    """Lower-case, NFC, accents removed, apostrophes straightened: the form rules match on."""
    decomposed = unicodedata.normalize("NFD", word.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    for apostrophe in APOSTROPHES[1:]:
        stripped = stripped.replace(apostrophe, "'")
    return unicodedata.normalize("NFC", stripped)


_FOLDED: dict[str, str] = {}  # fold() of recent words: a dict look-up is cheaper than lru_cache's call


def tokenize(text: str) -> list[Token]:
    tokens = []
    append = tokens.append
    folded = _FOLDED
    new = tuple.__new__  # Token(...) goes through a Python-level __new__; this is the same tuple
    for match in _TOKEN_RE.finditer(text):
        piece = match.group()
        kind = match.lastgroup
        if kind == "punct":
            norm = piece
        else:
            norm = folded.get(piece)
            if norm is None:
                if len(folded) >= 20_000:
                    folded.clear()
                norm = folded[piece] = fold(piece)
        start, end = match.span()
        append(new(Token, (piece, norm, kind, start, end)))
    return tokens


def _ends_sentence(text: str, boundary: re.Match) -> bool:
    mark = boundary.group()
    if "\n" in mark or mark[0] in "!?…" or _is_emoji(mark.lstrip()[0]):
        return True
    # A full stop: not after an abbreviation or an initial, not inside a number ("3.5", "12.30").
    before = text[max(0, boundary.start() - 20) : boundary.start()]  # an abbreviation is short
    word = _LAST_WORD_RE.search(before)
    after = text[boundary.end() : boundary.end() + 1]
    if after and not after.isspace() and after not in _CLOSERS and not _is_emoji(after):
        return False
    if word:
        folded = fold(word.group(1))
        if folded in _ABBREVIATIONS or len(folded) == 1 and word.group(1).isupper():
            return False
    return True


def split_sentences(text: str, tokens: list[Token] | None = None) -> list[Sentence]:
    """Sentences with their tokens. A sentence is a question when it ends in "?" (not "?!")."""
    if tokens is None:
        tokens = tokenize(text)
    spans = []
    start = 0
    for boundary in _SENTENCE_END_RE.finditer(text):
        if not _ends_sentence(text, boundary):
            continue
        end = boundary.end()
        # Closing quotes, brackets and emoji right after the mark belong to this sentence.
        while end < len(text) and (text[end] in _CLOSERS or _is_emoji(text[end])):
            end += 1
        spans.append((start, end, boundary.group()))
        start = end
    if start < len(text):
        spans.append((start, len(text), ""))

    sentences = []
    index = 0
    for span_start, span_end, mark in spans:
        members = []
        while index < len(tokens) and tokens[index].start < span_end:
            members.append(tokens[index])
            index += 1
        if not any(token.kind == "word" for token in members) and not mark.strip():
            continue
        first = members[0].start if members else span_start
        last = members[-1].end if members else span_end
        is_question = "?" in mark and "!" not in mark
        sentences.append(Sentence(first, last, tuple(members), is_question))
    return sentences


_EMOJI_RE = re.compile(_EMOJI)


def _is_emoji(char: str) -> bool:
    return _EMOJI_RE.match(char) is not None


_QUOTE_OPENERS = ("“", "„", ",,", "«", '"', "‘", "'")


def quoted_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of text the writer quotes, quote marks included.

    Covers “…”, „…”, ,,…”, «…», "…" and '…' / ‘…’ when they clearly are quotes.
    """
    if not any(mark in text for mark in _QUOTE_OPENERS):
        return []  # the regex would try every position of the text to find nothing
    return [match.span() for match in _QUOTE_RE.finditer(text)]


_MACHINE_TEXT_RE = re.compile(
    # Each alternative starts only where a word starts, so a long run of letters is scanned once.
    r"https?://\S+|www\.\S+|(?<![\w.+-])[\w.+-]+@[\w-]+\.[\w.-]+|(?<![\w@])@\w+"
)


def machine_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of links, e-mail addresses and @handles: not words anyone says."""
    if "@" not in text and "http" not in text and "www." not in text:
        return []  # nothing the regex could match; it would try every position
    return [match.span() for match in _MACHINE_TEXT_RE.finditer(text)]


# "U schrijft dat onze service belachelijk is": what follows a reporting verb after "you"
# is the customer's opinion, up to the end of the clause.
_REPORTED_RE = re.compile(
    r"(?i)(?<!wat )(?<!what )\b(?:u|je|jij|jullie|you)\s+"
    r"(?:schrijft|schreef|schreven|schrijven|zegt|zei|zeiden|zeggen|noemt|noemde|noemen|vindt|vond|vonden|vinden|"
    r"meldt|meldde|geeft\s+aan|gaf\s+aan|say|said|write|wrote|mention|mentioned|call|called|feel|felt)"
    r"(?:\s+(?:wel|ons|us|het|it))?(?:\s+(?:dat|that))?\s+(?!(?:this|that)\s+way|zo\b|so\b)"
    r"([^,;.!?\n]+?)(?=\s+(?:maar|but|en|and|dus|so)\b|[,;.!?\n]|$)"
)


# The stems of _REPORTED_RE's verbs: a text without any (most replies) skips the slower regex.
_REPORTING_VERB_RE = re.compile(r"schr|zeg|zei|noem|vind|vond|meld|geeft|gaf|say|said|writ|wrot|mention|call|feel|felt")


def reported_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of the customer's words the writer reports: "you say [that] ...", "u schrijft dat ..."."""
    if not _REPORTING_VERB_RE.search(text.casefold()):
        return []
    return [match.span(1) for match in _REPORTED_RE.finditer(text)]


class Utf16Offsets:
    """Converts Python str indices of one text to UTF-16 code units (JavaScript's string indices).

    Characters outside the Basic Multilingual Plane (most emoji) are two UTF-16 units.
    """

    __slots__ = ("_prefix",)

    def __init__(self, text: str):
        if text.isascii() or max(text, default="\0") <= "\uffff":
            self._prefix = None
        else:
            prefix = [0]
            extra = 0
            for ch in text:
                extra += ord(ch) > 0xFFFF
                prefix.append(extra)
            self._prefix = prefix

    def __call__(self, index: int) -> int:
        return index if self._prefix is None else index + self._prefix[index]


def utf16_offset(text: str, index: int) -> int:
    """Python str index `index` in `text` as a UTF-16 code-unit offset."""
    return index + sum(1 for ch in text[:index] if ord(ch) > 0xFFFF)
