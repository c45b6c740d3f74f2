"""analyze(): runs a language's rule catalogue over a draft reply and returns the verdict.

Phrase rules match on a word stream of the reply (see Document); the other detectors
(shouting, punctuation, sentiment, and those that read the customer's comment) are
implemented here, with their settings coming from the catalogue.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass
from functools import cache
from typing import Callable, Iterator, Mapping

from . import LANGUAGES
from .context import addressee_from_author, is_pure_anger, mentions_name, register_of
from .language import detect_language
from .rules import Catalogue, PatternSet, Rule, WordIndex, load_catalogue
from .sentiment import EMPTY_TALLY, NEGATIVE_WORDS, Sentiment, Tally, tallies
from .text import Sentence, Token, Utf16Offsets, machine_spans, quoted_spans, reported_spans, split_sentences, tokenize

_QUOTE_PLACEHOLDER = ' "'  # stands in the word stream for words that are not the agent's own
_BOUNDARY = " |"  # sentence boundary in the word stream
_CLAUSE_BREAK = " ,"  # a comma, colon or semicolon in the word stream
_CLAUSE_BREAKS = frozenset(",;:–—")


@dataclass(frozen=True)
class Context:
    """What the thread tells about the reply: the customer's comment and display name."""

    comment: str | None = None
    author: str | None = None


@dataclass(frozen=True)
class Finding:
    rule: str
    category: str
    severity: str
    start: int  # Python str index into the reply; 0/0 for findings about the whole reply
    end: int
    message: str
    replacements: tuple[str, ...] = ()

    def to_json(self, offsets: Callable[[int], int]) -> dict:
        return {
            "rule": self.rule,
            "category": self.category,
            "severity": self.severity,
            "start": offsets(self.start),
            "end": offsets(self.end),
            "message": self.message,
            "replacements": list(self.replacements),
        }


@dataclass(frozen=True)
class Analysis:
    verdict: str  # "warn", "review" or "ok"
    score: int  # 0..100, see risk_score()
    lang: str
    findings: tuple[Finding, ...]
    sentiment: Sentiment

    def to_json(self, text: str) -> dict:
        """The /v1/analyze response for `text` (the analysed reply): offsets in UTF-16 code units."""
        offsets = Utf16Offsets(text)
        return {
            "verdict": self.verdict,
            "score": self.score,
            "lang": self.lang,
            "findings": [finding.to_json(offsets) for finding in self.findings],
            "sentiment": {"polarity": round(self.sentiment.polarity, 4),
                          "subjectivity": round(self.sentiment.subjectivity, 4)},
        }


_GREETINGS = frozenset(
    "hoi hallo hi hey he hee hai hoihoi beste dag goedemorgen goedemiddag goedenavond goeiemorgen "
    "geachte lieve dear hello morning afternoon evening hiya heya yo".split()
)
# Capitalised sentence openers that are not names.
_NOT_NAMES = frozenset(
    "helaas jammer sorry nee ja klopt onjuist pech tja nou oke ok prima goed zucht pff serieus echt "
    "natuurlijk tuurlijk nogmaals kortom dus maar en of want eerlijk top super fijn dank bedankt "
    "unfortunately no yes well okay sadly honestly seriously again right sure fine ugh sigh whatever "
    "nope thanks great wow oh ah tjonge jeetje jemig oei oeps ai au auw bah ach och hm hmm o haha hihi lol "
    "poeh jee gossie oops ouch yikes wonderful brilliant fantastic marvellous lovely perfect impressive "
    "congrats congratulations knap goh gefeliciteerd proficiat bravo chapeau hulde applaus geweldig fantastisch "
    "prachtig heerlijk mooi leuk gaaf tof grappig interessant excuses excuus pardon".split()
)
_LAUGHS_AND_SIGHS = ("haha", "hihi", "pff", "zucht", "lol", "hah")
_MAX_VOCATIVE_WORDS = 4


def _vocative_end(tokens: tuple[Token, ...]) -> int | None:
    """Index of the comma that ends a leading greeting or name ("Hoi Sanne,", "Meneer De Vries,")."""
    words = []
    for position, token in enumerate(tokens):
        if token.kind == "punct":
            if token.text != "," or not words or len(words) > _MAX_VOCATIVE_WORDS:
                return None
            if position == len(tokens) - 1:
                return None
            greeting = words[0].norm in _GREETINGS
            name = all(word.text[:1].isupper() for word in words if word.norm not in _GREETINGS)
            interjection = words[0].norm in _NOT_NAMES or words[0].norm.startswith(_LAUGHS_AND_SIGHS)
            if greeting or (name and not interjection):
                return position
            return None
        if token.kind == "word":
            words.append(token)
    return None


def _with_trailing_emoji(sentences: list[Sentence], tokens: list[Token]) -> list[Sentence]:
    """Emoji after the last sentence mark ("Mooi gedaan. 🙄") belong to that sentence.

    split_sentences() drops a last stretch without words; an eye-roll there is the agent's
    own comment on the sentence before it, so rules must see it. A reply of only emoji is
    one sentence.
    """
    end = sentences[-1].end if sentences else 0
    trailing = [token for token in tokens if token.start >= end and token.kind != "punct"]
    if not trailing or any(token.kind != "emoji" for token in trailing):
        return sentences
    if not sentences:
        return [Sentence(trailing[0].start, trailing[-1].end, tuple(trailing), False)]
    last = sentences[-1]
    extra = tuple(token for token in tokens if token.start >= end)
    return sentences[:-1] + [Sentence(last.start, trailing[-1].end, last.tokens + extra, last.is_question)]


class Document:
    """A text prepared for matching.

    The word stream is " |" + " word" for each word (or emoji) + " |" after each sentence,
    with " ," for a comma, colon or semicolon; other punctuation is left out. Words that
    are not the agent's own (quoted or reported customer words, links, @handles) become one
    ' "' placeholder, so no rule takes them for the agent speaking. Patterns are regexes over
    this stream (see rules.py).
    """

    def __init__(self, text: str, lang: str, tokens: list[Token] | None = None):
        self.text = text
        self.lang = lang
        self.tokens = tokenize(text) if tokens is None else tokens
        self.sentences = _with_trailing_emoji(split_sentences(text, self.tokens), self.tokens)
        # Not the agent's own words: what they quote or report the customer saying, and links,
        # e-mail addresses, @handles.
        self.hidden = sorted(quoted_spans(text) + reported_spans(text) + machine_spans(text))
        own_text = text
        for start, end in self.hidden:
            own_text = own_text[:start] + " " * (end - start) + own_text[end:]
        self.own_text = own_text  # the agent's own words, same indices as text
        self._hidden_starts = hidden_starts = self._tokens_in(self.hidden)

        pieces = [_BOUNDARY]
        length = len(_BOUNDARY)
        self.word_offsets: list[int] = []  # stream offset of the space before each word
        self.words: list[Token] = []
        self.word_sentence: list[int] = []
        self.sentence_bounds: list[tuple[int, int]] = []  # stream (start, end) per sentence
        self.sentence_words: list[range] = []  # indices into self.words per sentence
        positions: dict[str, list[int]] = {}
        # Bound methods and locals: this loop runs once per token of every analysed reply.
        add_piece, add_offset, add_word = pieces.append, self.word_offsets.append, self.words.append
        add_sentence = self.word_sentence.append
        for index, sentence in enumerate(self.sentences):
            sentence_start = length - 1  # the "|" that precedes the sentence
            in_quote = False
            first_word = len(self.words)
            vocative_end = _vocative_end(sentence.tokens)
            for position, token in enumerate(sentence.tokens):
                if token.kind == "punct":
                    if position == vocative_end:
                        # "Hoi Sanne, dat klopt niet": what follows the greeting starts afresh,
                        # so "^" in a pattern matches there too.
                        add_piece(_BOUNDARY)
                        length += len(_BOUNDARY)
                    elif token.text in _CLAUSE_BREAKS and pieces[-1] not in (_CLAUSE_BREAK, _BOUNDARY):
                        add_piece(_CLAUSE_BREAK)
                        length += len(_CLAUSE_BREAK)
                    continue
                if hidden_starts and token.start in hidden_starts:
                    if not in_quote:
                        add_piece(_QUOTE_PLACEHOLDER)
                        length += len(_QUOTE_PLACEHOLDER)
                    in_quote = True
                    continue
                in_quote = False
                word = token.norm.replace(",", ".")  # "3,50": commas are clause breaks
                offsets = positions.get(word)
                if offsets is None:
                    positions[word] = [length]
                else:
                    offsets.append(length)
                add_offset(length)
                add_word(token)
                add_sentence(index)
                add_piece(" " + word)
                length += len(word) + 1
            if pieces[-1] == _CLAUSE_BREAK:
                pieces.pop()
                length -= len(_CLAUSE_BREAK)
            add_piece(_BOUNDARY)
            length += len(_BOUNDARY)
            self.sentence_bounds.append((sentence_start, length))
            self.sentence_words.append(range(first_word, len(self.words)))
        self.stream = "".join(pieces)
        self.word_index = WordIndex(positions, self.stream)
        self._tallies: list[Tally] | None = None

    def _tokens_in(self, spans: list[tuple[int, int]]) -> frozenset[int]:
        """Start offsets of the tokens that overlap any of the (sorted) spans, in one sweep."""
        inside = set()
        span = 0
        for token in self.tokens:
            while span < len(spans) and spans[span][1] <= token.start:
                span += 1
            if span < len(spans) and spans[span][0] < token.end:
                inside.add(token.start)
        return frozenset(inside)

    def is_hidden(self, token: Token) -> bool:
        return token.start in self._hidden_starts

    def matches(self, patterns: PatternSet) -> Iterator[tuple[int, int, int]]:
        """(first word, last word, sentence) of each match of `patterns` in the stream."""
        for start, end in patterns.spans(self.stream, self.word_index):
            first = bisect_left(self.word_offsets, start)
            last = bisect_left(self.word_offsets, end) - 1
            if first <= last:
                yield first, last, self.word_sentence[first]

    def sentence_has(self, patterns: PatternSet, sentence: int) -> bool:
        start, end = self.sentence_bounds[sentence]
        return patterns.search(self.stream, self.word_index, start, end)

    def sentence_near_has(self, patterns: PatternSet, sentence: int) -> bool:
        """`patterns` in this sentence or the one right before or after it."""
        start = self.sentence_bounds[max(0, sentence - 1)][0]
        end = self.sentence_bounds[min(len(self.sentence_bounds) - 1, sentence + 1)][1]
        return patterns.search(self.stream, self.word_index, start, end)

    @property
    def sentences_with_words(self) -> int:
        return sum(1 for words in self.sentence_words if words)

    def has(self, patterns: PatternSet) -> bool:
        return patterns.search(self.stream, self.word_index)

    def _sentence_tallies(self) -> list[Tally]:
        # Each sentence of the agent's own words is scored once; the whole-reply sentiment
        # is derived from the same tallies (see mood), so TextBlob reads the text only once.
        if self._tallies is None:
            self._tallies = tallies([self.own_text[span.start:span.end] for span in self.sentences], self.lang)
        return self._tallies

    def sentence_polarity(self, sentence: int) -> float:
        return self._sentence_tallies()[sentence].sentiment().polarity

    @property
    def mood(self) -> Sentiment:
        """Sentiment of the agent's own words in the whole text."""
        total = EMPTY_TALLY
        for part in self._sentence_tallies():
            total = total + part
        return total.sentiment()

    def span(self, first: int, last: int) -> tuple[int, int]:
        return self.words[first].start, self.words[last].end


# --- detectors ----------------------------------------------------------------------------


def _finding(rule: Rule, start: int = 0, end: int = 0) -> Finding:
    return Finding(rule.id, rule.category, rule.severity, start, end, rule.message, rule.replacements)


def _phrases(rule: Rule, doc: Document, context: "_ContextView", catalogue: Catalogue) -> list[Finding]:
    if rule.whole_reply and doc.sentences_with_words > 1:
        return []
    findings = []
    excused_by_reply: bool | None = None
    for first, last, sentence in doc.matches(rule.matcher):
        if rule.statements_only and doc.sentences[sentence].is_question:
            continue
        if rule.questions_only and not doc.sentences[sentence].is_question:
            continue
        if rule.unless_matcher is not None and doc.sentence_has(rule.unless_matcher, sentence):
            continue
        if rule.nearby_matcher is not None and doc.sentence_near_has(rule.nearby_matcher, sentence):
            continue
        if rule.reply_matcher is not None:
            if excused_by_reply is None:
                excused_by_reply = doc.has(rule.reply_matcher)
            if excused_by_reply:
                continue
        findings.append(_finding(rule, *doc.span(first, last)))
    return findings


def _excused(rule: Rule, doc: Document, sentence: int, catalogue: Catalogue) -> bool:
    """A sentence that shows one of the rule's `unless_signal`s (or, next to it, one of its
    `unless_signal_nearby`s), or is more positive than its `max_sentence_polarity`, does not count."""
    if any(doc.sentence_has(catalogue.signals[name], sentence) for name in rule.params.get("unless_signal", ())):
        return True
    if any(doc.sentence_near_has(catalogue.signals[name], sentence) for name in rule.params.get("unless_signal_nearby", ())):
        return True
    limit = rule.params.get("max_sentence_polarity")
    return limit is not None and doc.sentence_polarity(sentence) > limit


def _is_caps(token: Token) -> bool:
    """A word in capitals; codes with digits ("KL1234", "A4") are not shouting."""
    if not token.text.isupper():
        return False
    letters = token.text.replace("-", "").replace("'", "")
    return len(letters) >= 2 and letters.isalpha() and letters.isupper()


# Two (Latin) capitals in a row: without them no word can be in capitals (see _is_caps), so
# most replies skip the per-word look at once. Dutch and English replies are in Latin script.
_TWO_CAPS_RE = re.compile(r"[A-ZÀ-ÖØ-ÞĀ-Ž]{2}")


def _shouting(rule: Rule, doc: Document, context: "_ContextView", catalogue: Catalogue) -> list[Finding]:
    if _TWO_CAPS_RE.search(doc.own_text) is None:
        return []
    params = rule.params
    findings = []
    for index, sentence in enumerate(doc.sentences):
        words = [t for t in sentence.tokens if t.kind == "word" and t.text.isalpha() and not doc.is_hidden(t)]
        caps = [t for t in words if _is_caps(t) and t.norm not in params["acronyms"]]
        if not caps:
            continue
        if len(words) >= 3 and len(caps) >= 0.7 * len(words):
            shouted = caps  # the whole sentence in capitals, short words included
        else:
            # Short words in capitals are mostly acronyms ("OS, CPU, RAM"), unless emphatic.
            loud = {id(t) for t in caps if len(t.text) > params["short_is_acronym"] or t.norm in params["emphatic_words"]}
            shouted, run = [], []
            for token in words:
                if id(token) not in loud:
                    run = []
                    continue
                run.append(token)
                alone = token.norm in params["emphatic_words"] or len(token.text) >= params["min_letters_alone"]
                if len(run) >= params["min_run"] or alone:
                    shouted.extend(word for word in run if word not in shouted)
        if shouted and not _excused(rule, doc, index, catalogue):
            findings.append(_finding(rule, shouted[0].start, shouted[-1].end))
    return findings


@cache
def _marks_regex(marks: tuple[str, ...]) -> re.Pattern:
    # Longest first, and a whole run of marks as one finding ("!!!!" is one, not two).
    return re.compile("(?:" + "|".join(re.escape(mark) for mark in sorted(marks, key=len, reverse=True)) + r")[!?]*")


def _punctuation(rule: Rule, doc: Document, context: "_ContextView", catalogue: Catalogue) -> list[Finding]:
    regex = _marks_regex(tuple(rule.params["marks"]))
    findings = []
    for index, sentence in enumerate(doc.sentences):
        match = regex.search(doc.own_text, sentence.start, sentence.end)
        if match and not _excused(rule, doc, index, catalogue):
            findings.append(_finding(rule, *match.span()))
    return findings


def _sentiment(rule: Rule, doc: Document, context: "_ContextView", catalogue: Catalogue) -> list[Finding]:
    findings = []
    negative_words = NEGATIVE_WORDS[doc.lang]
    for index, words in enumerate(doc.sentence_words):
        if not any(doc.words[word].norm in negative_words for word in words):
            continue  # no negative word: the sentence cannot reach a negative threshold
        if doc.sentence_polarity(index) > rule.params["threshold"]:
            continue
        if _excused(rule, doc, index, catalogue):
            continue
        findings.append(_finding(rule, *doc.span(words[0], words[-1])))
    return findings


def _has_any(doc: Document, signal_names: tuple[str, ...], catalogue: Catalogue) -> bool:
    return any(doc.has(catalogue.signals[name]) for name in signal_names)


class _ContextView:
    """The customer's comment and name, prepared once per analysis and only when used."""

    def __init__(self, context: Context | None, lang: str):
        self.comment = (context.comment or "").strip() if context else ""
        self.author = context.author if context else None
        self.lang = lang
        self._comment_doc: Document | None = None

    @property
    def comment_doc(self) -> Document:
        if self._comment_doc is None:
            self._comment_doc = Document(self.comment, self.lang)
        return self._comment_doc


def _missing_signal(rule: Rule, doc: Document, context: _ContextView, catalogue: Catalogue) -> list[Finding]:
    if not context.comment:
        return []
    params = rule.params
    comment = context.comment_doc
    triggered = _has_any(comment, params["when_comment"], catalogue)
    if not triggered and params["comment_polarity_below"] > -1.0:
        triggered = comment.mood.polarity < params["comment_polarity_below"]
    if not triggered:
        return []
    if _has_any(comment, params["unless_comment"], catalogue) or _has_any(doc, params["unless_reply"], catalogue):
        return []
    return [_finding(rule)]


def _missing_name(rule: Rule, doc: Document, context: _ContextView, catalogue: Catalogue) -> list[Finding]:
    addressee = addressee_from_author(context.author)
    if addressee is None or mentions_name(doc.text, addressee):
        return []
    if context.comment and _has_any(context.comment_doc, rule.params["unless_comment"], catalogue):
        return []
    return [_finding(rule)]


def _register(doc: Document, params: dict, catalogue: Catalogue) -> str | None:
    register = register_of(doc.text, doc.lang)
    if register is None:
        formal = _has_any(doc, params["formal_signal"] + params["formal_style"], catalogue)
        informal = _has_any(doc, params["informal_signal"] + params["informal_style"], catalogue)
        if formal != informal:
            register = "formal" if formal else "informal"
    return register


def _register_mismatch(rule: Rule, doc: Document, context: _ContextView, catalogue: Catalogue) -> list[Finding]:
    if not context.comment:
        return []
    customer = _register(context.comment_doc, rule.params, catalogue)
    reply = _register(doc, rule.params, catalogue)
    if customer is None or reply is None or customer == reply:
        return []
    # Highlight the first word that shows the reply's register, when the catalogue says how.
    for name in rule.params["formal_signal" if reply == "formal" else "informal_signal"]:
        for first, last, _ in doc.matches(catalogue.signals[name]):
            return [_finding(rule, *doc.span(first, last))]
    return [_finding(rule)]


def _pure_anger(rule: Rule, doc: Document, context: _ContextView, catalogue: Catalogue) -> list[Finding]:
    if context.comment and is_pure_anger(context.comment, context.lang):
        return [_finding(rule)]
    return []


DETECTORS: dict[str, Callable[[Rule, Document, _ContextView, Catalogue], list[Finding]]] = {
    "phrases": _phrases,
    "shouting": _shouting,
    "punctuation": _punctuation,
    "sentiment": _sentiment,
    "missing_signal": _missing_signal,
    "missing_name": _missing_name,
    "register_mismatch": _register_mismatch,
    "pure_anger": _pure_anger,
}


# --- analysis -----------------------------------------------------------------------------


def resolve_language(text: str, lang: str) -> str:
    if lang == "auto":
        return detect_language(text)
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; use 'auto' or one of {', '.join(LANGUAGES)}")
    return lang


def find_all(doc: Document, context: Context | None, catalogue: Catalogue) -> list[Finding]:
    """Every finding of every rule, before overlapping findings are merged."""
    view = _ContextView(context, catalogue.lang)
    findings = []
    for rule in catalogue.rules:
        findings.extend(DETECTORS[rule.detector](rule, doc, view, catalogue))
    return findings


def _overlap(a: Finding, b: Finding) -> bool:
    if a.start == a.end or b.start == b.end:
        return a.start == b.start and a.end == b.end
    return a.start < b.end and b.start < a.end


def _merge(findings: list[Finding]) -> list[Finding]:
    """One finding per category per stretch of text: the first (in catalogue order) of
    overlapping findings of the same category stays, warn before review."""
    kept: list[Finding] = []
    for finding in sorted(findings, key=lambda f: f.severity != "warn"):
        if not any(k.category == finding.category and _overlap(k, finding) for k in kept):
            kept.append(finding)
    return sorted(kept, key=lambda f: (f.start, f.end, f.severity != "warn"))


def risk_score(findings: list[Finding], polarity: float) -> int:
    """0..100, ordering replies by risk; each verdict has its own band.

    negativity = max(0, -polarity) of the agent's own words (0..1)
    warn   (>= 1 warn finding):   60 + 12 per extra warn finding + 3 per review finding
                                     + 10 * negativity, at most 100
    review (only review findings): 20 + 8 per extra review finding + 10 * negativity, at most 50
    ok:                             15 * negativity, at most 15
    So any warn outranks any review, which outranks any ok; within a band more findings
    and a more negative tone rank higher.
    """
    negativity = max(0.0, -polarity)
    warns = sum(1 for finding in findings if finding.severity == "warn")
    reviews = len(findings) - warns
    if warns:
        return min(100, round(60 + 12 * (warns - 1) + 3 * reviews + 10 * negativity))
    if reviews:
        return min(50, round(20 + 8 * (reviews - 1) + 10 * negativity))
    return min(15, round(15 * negativity))


def analyze(
    text: str,
    lang: str = "auto",
    context: Context | None = None,
    catalogues: Mapping[str, Catalogue] | None = None,
) -> Analysis:
    """Analyse a draft reply. `lang` is "auto", "nl" or "en" (ValueError otherwise).

    `catalogues` replaces the built-in catalogue of a language (e.g. merged with house rules).
    Deterministic: the same input always gives the same findings in the same order.
    """
    tokens = tokenize(text)
    lang = detect_language(text, tokens) if lang == "auto" else resolve_language(text, lang)
    catalogue = (catalogues or {}).get(lang) or load_catalogue(lang)
    doc = Document(text, lang, tokens)
    findings = _merge(find_all(doc, context, catalogue))
    mood = doc.mood
    if any(finding.severity == "warn" for finding in findings):
        verdict = "warn"
    elif findings:
        verdict = "review"
    else:
        verdict = "ok"
    return Analysis(verdict, risk_score(findings, mood.polarity), lang, tuple(findings), mood)


def example_failures(catalogue: Catalogue) -> list[str]:
    """Each rule example that does not behave as it says: for tests and for house rules."""
    failures = []
    for rule in catalogue.rules:
        for expected, examples in ((True, rule.examples_fire), (False, rule.examples_quiet)):
            for example in examples:
                context = Context(example.comment, example.author)
                fired = rule.id in {f.rule for f in find_all(Document(example.text, rule.lang), context, catalogue)}
                if fired != expected:
                    verb = "does not fire" if expected else "fires"
                    failures.append(f"{rule.id} {verb} on example {example.text!r}")
    return failures
