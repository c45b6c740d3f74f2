"""Sentiment behind one interface per language: TextBlob's PatternAnalyzer (en) and
textblob-nl's PatternAnalyzer (nl). Both work offline from lexicons shipped with the packages.
"""

from __future__ import annotations

from typing import NamedTuple

from textblob.en import sentiment as english_lexicon
from textblob.en.sentiments import pattern_sentiment as english_pattern_sentiment
from textblob_nl import PatternAnalyzer as DutchAnalyzer
from textblob_nl.nl import sentiment as dutch_lexicon

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


def sentiment(text: str, lang: str) -> Sentiment:
    """Polarity and subjectivity of `text` in `lang` ("nl" or "en")."""
    if not text.strip():
        return NEUTRAL
    polarity, subjectivity = _ANALYZERS[lang].analyze(text)[:2]
    return Sentiment(float(polarity), float(subjectivity))
