"""Sentiment behind one interface per language: TextBlob's PatternAnalyzer (en) and
textblob-nl's PatternAnalyzer (nl). Both work offline from lexicons shipped with the packages.
"""

from __future__ import annotations

import sys
from typing import NamedTuple


def _import_textblob_without_scipy():
    """Import the TextBlob modules we use while `scipy` is blocked.

    Why: importing textblob imports nltk, whose nltk.metrics.association imports scipy.stats
    (~65 MB RSS and ~0.9 s at start-up) for collocation statistics that the sentiment
    analyzers never use. nltk guards that import with try/except ImportError, so a `None`
    entry in sys.modules (which makes `import scipy` raise ImportError) lets nltk skip it.
    Only when scipy is not imported already (then blocking it would save nothing and could
    confuse whoever imported it); the entry is removed again afterwards, so a later
    `import scipy` elsewhere works normally.
    """
    blocked = "scipy" not in sys.modules
    if blocked:
        sys.modules["scipy"] = None  # type: ignore[assignment]
    try:
        from textblob.en import sentiment as english_lexicon
        from textblob.en.sentiments import pattern_sentiment as english_pattern_sentiment
        from textblob_nl import PatternAnalyzer as DutchAnalyzer
        from textblob_nl.nl import sentiment as dutch_lexicon
    finally:
        if blocked and sys.modules.get("scipy", 0) is None:
            del sys.modules["scipy"]
    return english_lexicon, english_pattern_sentiment, DutchAnalyzer, dutch_lexicon


english_lexicon, english_pattern_sentiment, DutchAnalyzer, dutch_lexicon = _import_textblob_without_scipy()

from .text import fold


class Sentiment(NamedTuple):
    polarity: float  # -1.0 (negative) .. 1.0 (positive)
    subjectivity: float  # 0.0 (objective) .. 1.0 (subjective)


NEUTRAL = Sentiment(0.0, 0.0)


class _English:
    # TextBlob's en PatternAnalyzer.analyze() builds a new namedtuple class on every call,
    # which costs more than the analysis of a short reply; call the function it wraps.
    @staticmethod
    def analyze(text: str) -> tuple[float, float]:
        return english_pattern_sentiment(text)


_ANALYZERS = {"en": _English(), "nl": DutchAnalyzer()}

# The lexicons load lazily on first use; load them now so the first request is not slow.
for _analyzer in _ANALYZERS.values():
    _analyzer.analyze("goed")


def _negative_words(lexicon) -> frozenset[str]:
    return frozenset(
        fold(word) for word, senses in lexicon.items() if any(values[0] < 0 for values in senses.values())
    )


# Words the lexicons score negative (folded like tokens). A text without any of them cannot
# score strongly negative (negating a positive word at most halves it), so detectors that
# look for strong negativity can skip the analyzer for such text.
NEGATIVE_WORDS = {"en": _negative_words(english_lexicon), "nl": _negative_words(dutch_lexicon)}


class Tally(NamedTuple):
    """The sums behind a sentiment: TextBlob's polarity is the mean over its assessments
    (scored words, with their modifiers and negations), so the tallies of the sentences
    of a text add up to (very nearly) the tally of the whole text."""

    polarity: float  # sum of the assessments' polarities
    subjectivity: float  # sum of their subjectivities
    count: int  # number of assessments

    def __add__(self, other: "Tally") -> "Tally":  # type: ignore[override]
        return Tally(self.polarity + other.polarity, self.subjectivity + other.subjectivity,
                     self.count + other.count)

    def sentiment(self) -> Sentiment:
        if not self.count:
            return NEUTRAL
        return Sentiment(self.polarity / self.count, self.subjectivity / self.count)


EMPTY_TALLY = Tally(0.0, 0.0, 0)
_LEXICONS = {"en": english_lexicon, "nl": dutch_lexicon}


# Tallies of recent sentences. The extension re-checks a draft as the agent types, and every
# sentence but the one being edited is the same as last time. Bounded, so memory is too.
_CACHE: dict[tuple[str, str], Tally] = {}
_CACHE_SIZE = 4096


def _remember(key: tuple[str, str], value: Tally) -> None:
    if len(_CACHE) >= _CACHE_SIZE:
        _CACHE.clear()  # one atomic call: safe with waitress's threads, unlike evicting one by one
    _CACHE[key] = value


def tally(text: str, lang: str) -> Tally:
    """The assessment sums of `text`: tally(a) + tally(b) gives the sentiment of both,
    so a text's sentences are scored once and the whole-text figure derived from them."""
    if not text.strip():
        return EMPTY_TALLY
    key = (text, lang)
    result = _CACHE.get(key)
    if result is None:
        result = _tally_of(_LEXICONS[lang](text).assessments)
        _remember(key, result)
    return result


_SEPARATOR = "qqtoontjesepqq"  # a "word" no tokenizer splits and no lexicon knows


def _tally_of(assessments) -> Tally:
    return Tally(float(sum(a[1] for a in assessments)), float(sum(a[2] for a in assessments)), len(assessments))


def clear_cache() -> None:
    _CACHE.clear()


def tallies(texts: list[str], lang: str) -> list[Tally]:
    """tally() of each text, the same figures, but TextBlob's (slow) tokenizer runs once for
    all texts that are not cached: they are joined with a separator word and its tokens are
    split at that word again, then each part is assessed on its own."""
    results: list[Tally | None] = []
    missing: list[int] = []
    for position, text in enumerate(texts):
        if not text.strip():
            results.append(EMPTY_TALLY)
            continue
        cached = _CACHE.get((text, lang))
        results.append(cached)
        if cached is None:
            missing.append(position)
    if len(missing) == 1:
        results[missing[0]] = tally(texts[missing[0]], lang)
    elif missing:
        lexicon = _LEXICONS[lang]
        joined = f" {_SEPARATOR} ".join(texts[position] for position in missing)
        words = " ".join(lexicon.tokenizer(joined)).split()
        parts: list[list[str]] = [[]]
        for word in words:
            if word == _SEPARATOR:
                parts.append([])
            else:
                parts[-1].append(word.lower())
        if len(parts) != len(missing):  # cannot happen; never guess
            for position in missing:
                results[position] = tally(texts[position], lang)
        else:
            for position, part in zip(missing, parts):
                result = _tally_of(lexicon.assessments(((word, None) for word in part), True))
                _remember((texts[position], lang), result)
                results[position] = result
    return results  # type: ignore[return-value]


def sentiment(text: str, lang: str) -> Sentiment:
    """Polarity and subjectivity of `text` in `lang` ("nl" or "en")."""
    if not text.strip():
        return NEUTRAL
    polarity, subjectivity = _ANALYZERS[lang].analyze(text)[:2]
    return Sentiment(float(polarity), float(subjectivity))
