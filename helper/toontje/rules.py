"""Rule catalogues: rules are data (rules/nl.toml, rules/en.toml), loaded and validated here.

A catalogue file has:

    language = "nl"
    [macros]     name -> pattern text, used as {name} inside patterns
    [signals]    name -> list of patterns; named cues the context detectors look for
                 ("empathy", "private_channel", "complaint", ...)
    [[rule]]     one table per rule: id, category, message, description, must_fire,
                 must_not_fire, and either `patterns` (+ `unless` patterns that cancel a
                 match in the same sentence, `unless_nearby` patterns that cancel it when
                 they occur in the same sentence or the one right before or after,
                 `unless_reply` patterns that cancel it when they occur anywhere in the reply,
                 `statements_only` / `questions_only`, `whole_reply` = fire only when the
                 reply is this one sentence ("Prima." alone brushes off; inside a longer
                 friendly reply it does not)) or a
                 `detector` with `params` (see DETECTOR_PARAMS); optional severity
                 (+ severity_reason) and replacements.

Pattern language (matched per sentence on folded words: lower case, no accents, most
punctuation ignored; words the agent quotes or reports the customer saying, links and
@handles are masked out):

    word          that word; * is a wildcard inside a word ("schuld*", "*schuld");
                  emoji are words too ("🙄")
    a b c         words in sequence (a comma, colon or semicolon between them is allowed)
    ,             a clause break (comma, colon, semicolon, dash), e.g. "dat is niet zo (,|$)"
    #             any number ("97", "10:14", "3.50")
    (a|b c)       alternatives, each a sequence
    [a|b]         optional alternatives
    ..  ..N       a gap of 0 to 3 (or 0 to N) words
    _             exactly one word
    !x  !(a|b)    the next word(s) are NOT x (negative look-ahead)
    ^  $          start / end of the sentence (also right after a greeting: "Hoi Sanne, ...")
    "             words the agent quotes (one or more, masked out as customer words): lets
                  a pattern see THAT something was quoted, never what: "niet \" geschrapt"
                  matches "niet 'zomaar' geschrapt" (scare quotes around the customer's words)
    {name}        a macro from [macros]

Each pattern compiles to a regular expression over a space-separated word stream, with
bounded gaps only, and runs only when one of its anchor words occurs in the reply and
only where its first word occurs, so matching is linear in the length of the reply.
"""

from __future__ import annotations

import re
import tomllib
from bisect import bisect_left
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from itertools import repeat
from typing import Iterator

from . import LANGUAGES
from .text import fold, tokenize

CATEGORY_LEVELS = {
    "argumentative": "warn",
    "attacking": "warn",
    "defensive": "warn",
    "impatient": "warn",
    "dismissive": "warn",
    "emotional": "warn",
    "missing-name": "review",
    "missing-empathy": "review",
    "missing-private-channel": "review",
    "cliche": "review",
    "register-mismatch": "review",
    "empty-promise": "review",
    "missing-thanks": "review",
}
SEVERITIES = ("warn", "review")

# Detectors that are not phrase patterns, with their parameters and defaults. Their code is
# in analysis.py; the catalogue says which rule uses which detector with which settings, so
# it shows in GET /v1/rules and each rule's examples test it.
DETECTOR_PARAMS: dict[str, dict[str, object]] = {
    "phrases": {},
    # SHOUTING: a run of words in capitals, one long one, or one emphatic word ("NOOIT"),
    # not counting known acronyms; sentences that are positive or show one of the
    # `unless_signal` signals are enthusiasm, not anger. Words of up to `short_is_acronym`
    # letters count only when emphatic or when the whole sentence is in capitals
    # ("OS, CPU, RAM" is a list of acronyms, "IK BEN HET ZAT" is not).
    "shouting": {"min_run": 2, "min_letters_alone": 6, "short_is_acronym": 3, "acronyms": [],
                 "emphatic_words": [], "max_sentence_polarity": 0.3, "unless_signal": [], "unless_signal_nearby": []},
    # Repeated or mixed punctuation ("!!!", "?!") in a sentence that is not positive.
    "punctuation": {"marks": ["!!", "?!", "!?", "??"], "max_sentence_polarity": 0.3, "unless_signal": [],
                    "unless_signal_nearby": []},
    # Strongly negative sentiment in a sentence in the agent's own voice, unless the sentence
    # shows one of the `unless_signal` signals (an apology or empathy uses negative words kindly).
    # `unless_signal_nearby` (for these three detectors): signals that also excuse a sentence when
    # they occur in the sentence right before or after it ("Balen, dat snappen we. ... echt zinloos.").
    "sentiment": {"threshold": -0.6, "unless_signal": [], "unless_signal_nearby": []},
    # A comment that shows a `when_comment` signal (or is this negative), not an
    # `unless_comment` one, answered without any `unless_reply` signal.
    "missing_signal": {"when_comment": [], "unless_comment": [], "unless_reply": [],
                       "comment_polarity_below": -2.0},
    # The customer's name is known from the thread but the reply does not use it; not when
    # the comment shows an `unless_comment` signal (a fan's thanks needs no formalities).
    "missing_name": {"unless_comment": []},
    # The reply says "u" where the customer says "je", or the other way round. The register
    # comes from context.register_of(); where that cannot tell (English, or a comment
    # without pronouns), from the signals. The *_signal ones also mark the words to highlight.
    "register_mismatch": {"formal_signal": [], "informal_signal": [], "formal_style": [], "informal_style": []},
    # The customer's comment is anger without an argument (seed 003 tip 5).
    "pure_anger": {},
}
# Params that name signals (lists of names from [signals]).
_SIGNAL_PARAMS = {"unless_signal", "unless_signal_nearby", "when_comment", "unless_comment", "unless_reply",
                  "formal_signal", "informal_signal", "formal_style", "informal_style"}

RULE_KEYS = {
    "id", "category", "severity", "severity_reason", "message", "description", "replacements",
    "detector", "params", "patterns", "unless", "unless_nearby", "unless_reply", "whole_reply", "statements_only", "questions_only",
    "must_fire", "must_not_fire",
}
_ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_DEFAULT_GAP = 3
_WORD_CHARS = r"[^ |\",]"  # one character of a word in the stream (not a boundary, quote mark or comma)
_OPTIONAL_COMMA = "(?: ,)?"  # words in a pattern may have a clause break between them


class CatalogueError(ValueError):
    """A catalogue file is wrong; the message names the file, the rule and what to fix."""


@dataclass(frozen=True)
class Example:
    text: str
    comment: str | None = None
    author: str | None = None

    def to_json(self) -> dict:
        result: dict = {"text": self.text}
        context = {key: value for key, value in (("comment", self.comment), ("author", self.author)) if value}
        if context:
            result["context"] = context
        return result


@dataclass(frozen=True)
class Rule:
    id: str
    lang: str
    category: str
    severity: str
    message: str
    description: str
    replacements: tuple[str, ...]
    examples_fire: tuple[Example, ...]
    examples_quiet: tuple[Example, ...]
    detector: str
    params: dict
    statements_only: bool
    questions_only: bool
    source: str
    matcher: PatternSet | None = field(default=None, compare=False, repr=False)
    unless_matcher: PatternSet | None = field(default=None, compare=False, repr=False)
    nearby_matcher: PatternSet | None = field(default=None, compare=False, repr=False)
    whole_reply: bool = False
    reply_matcher: PatternSet | None = field(default=None, compare=False, repr=False)

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "language": self.lang,
            "category": self.category,
            "severity": self.severity,
            "description": self.description,
            "message": self.message,
            "replacements": list(self.replacements),
            "detector": self.detector,
            "params": {
                key: sorted(value) if isinstance(value, (frozenset, tuple)) and key in ("acronyms", "emphatic_words")
                else list(value) if isinstance(value, tuple) else value
                for key, value in self.params.items()
            },
            "examples": {
                "must_fire": [example.to_json() for example in self.examples_fire],
                "must_not_fire": [example.to_json() for example in self.examples_quiet],
            },
        }


@dataclass(frozen=True)
class Catalogue:
    lang: str
    rules: tuple[Rule, ...]
    macros: dict[str, str]
    signals: dict[str, PatternSet]
    signal_sources: dict[str, tuple[str, ...]]

    def compile_regexes(self) -> None:
        """Compile every pattern's regex now instead of on first use."""
        pattern_sets = list(self.signals.values()) + [
            pattern_set
            for rule in self.rules
            for pattern_set in (rule.matcher, rule.unless_matcher, rule.nearby_matcher, rule.reply_matcher)
            if pattern_set is not None
        ]
        for pattern_set in pattern_sets:
            for pattern in pattern_set.patterns:
                pattern.regex  # noqa: B018 (compiles it)

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    def merged_with(self, extra: "Catalogue", disabled: tuple[str, ...] = ()) -> "Catalogue":
        """This catalogue with `extra`'s rules added; a rule with an existing id replaces it.

        `disabled` rule ids are left out. Used for a team's house rules (issue 4).
        """
        if extra.lang != self.lang:
            raise CatalogueError(f"cannot merge a {extra.lang!r} catalogue into {self.lang!r}")
        unknown = [rule_id for rule_id in disabled if rule_id not in {r.id for r in self.rules + extra.rules}]
        if unknown:
            raise CatalogueError(f"disabled rule id(s) not found: {', '.join(unknown)}")
        replaced = {rule.id: rule for rule in extra.rules}
        kept = [replaced.pop(rule.id, rule) for rule in self.rules]
        rules = tuple(rule for rule in kept + list(replaced.values()) if rule.id not in disabled)
        return Catalogue(
            self.lang, rules, {**self.macros, **extra.macros}, {**self.signals, **extra.signals},
            {**self.signal_sources, **extra.signal_sources},
        )


# --- patterns -----------------------------------------------------------------------------

_PATTERN_TOKEN_RE = re.compile(r"\s*(\(|\)|\[|\]|\||!|\^|\$|,|\.\.\d*|[^\s()\[\]|!^$,]+)")
_MACRO_RE = re.compile(r"\{([a-z0-9_]+)\}")


def expand_macros(pattern: str, macros: dict[str, str], _depth: int = 0) -> str:
    if _depth > 10:
        raise CatalogueError(f"macros nest too deep (a macro refers to itself?) in {pattern!r}")

    def replace(match: re.Match) -> str:
        name = match.group(1)
        if name not in macros:
            raise CatalogueError(f"unknown macro {{{name}}} in {pattern!r}")
        return "(" + expand_macros(macros[name], macros, _depth + 1) + ")"

    return _MACRO_RE.sub(replace, pattern)


# Words so frequent that a pattern is better recognised by another of its words.
_COMMON_WORDS = frozenset(
    "de het een en dat dit die is was u je jij we wij ik ons onze niet geen er te van in op aan "
    "met voor maar dan ook wel nog al zo the a an and that this is was you your we i our not no "
    "it to of in on for but so be are have has".split()
)


@dataclass(frozen=True)
class _Node:
    """A parsed piece of a pattern.

    `anchors`: words one of which occurs in any text the piece matches (None: no such set).
    `start_anchors`: words one of which is the first word of any match (None: unknown).
    A word ending in "*" stands for every word with that prefix. `body` is set for a plain
    word so that alternatives of plain words compile to one compact group.
    """

    regex: str
    anchors: frozenset[str] | None
    start_anchors: frozenset[str] | None
    required: bool  # consumes at least one word whenever the pattern matches
    zero_width: bool = False
    body: str | None = None
    # Every match of the piece starts at one of `start_anchors` (it cannot be skipped).
    # "^", ",", "#" and '"' have pseudo-words of the same name as start anchors (see WordIndex).
    starts_here: bool = False
    # Word sets that ALL occur in any text the piece matches (one set per required word or
    # group): a text must hold a word of each set, which skips more patterns than `anchors`.
    needs: tuple[frozenset[str], ...] = ()


def _anchor_usable(word: str) -> bool:
    return "*" not in word[:-1] and word != "*"


class _PatternParser:
    """Recursive descent over the pattern tokens, producing a regex over the word stream.

    A pattern only runs on texts that contain one of its anchor words, and only at the
    positions of its possible first words, which skips most patterns for most replies.
    """

    def __init__(self, pattern: str):
        self.pattern = pattern
        stripped = pattern.strip()
        self.tokens = []
        position = 0
        while position < len(stripped):
            match = _PATTERN_TOKEN_RE.match(stripped, position)
            if not match or not match.group(1):
                raise self.error(f"cannot read {stripped[position:]!r}")
            self.tokens.append(match.group(1))
            position = match.end()
        self.index = 0

    def error(self, what: str) -> CatalogueError:
        return CatalogueError(f"bad pattern {self.pattern!r}: {what}")

    def peek(self) -> str | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> str:
        token = self.peek()
        if token is None:
            raise self.error("unexpected end")
        self.index += 1
        return token

    def parse(self) -> _Node:
        if not self.tokens:
            raise self.error("empty pattern")
        node = self.alternatives(closing=None)
        if self.peek() is not None:
            raise self.error(f"unexpected {self.peek()!r}")
        return node

    def alternatives(self, closing: str | None) -> _Node:
        options = [self.sequence(closing)]
        while self.peek() == "|":
            self.take()
            options.append(self.sequence(closing))
        if len(options) == 1:
            return options[0]

        def union(sets: list[frozenset[str] | None]) -> frozenset[str] | None:
            return None if None in sets else frozenset().union(*sets)

        anchors = union([option.anchors for option in options])
        start_anchors = union([option.start_anchors for option in options])
        required = all(option.required for option in options)
        starts_here = all(option.starts_here for option in options)
        if all(option.body is not None for option in options):
            # Plain words: one group after one optional comma, far faster for `re` to try.
            bodies = "|".join(sorted({option.body for option in options}, key=len, reverse=True))
            return _Node(f"{_OPTIONAL_COMMA} (?:{bodies})(?= )", anchors, start_anchors, required, starts_here=True,
                         needs=(anchors,) if anchors else ())
        word_start = f"{_OPTIONAL_COMMA} "
        if all(option.regex.startswith(word_start) for option in options):
            # Every option starts with a word ("(bezorger|externe partij)"): try the optional
            # comma once, and the plain words as one group, before the longer options.
            plain = sorted({option.body for option in options if option.body is not None}, key=len, reverse=True)
            rest = [option.regex[len(word_start):] for option in options if option.body is None]
            branches = ([f"(?:{'|'.join(plain)})(?= )"] if plain else []) + rest
            return _Node(f"{word_start}(?:" + "|".join(branches) + ")", anchors, start_anchors, required,
                         starts_here=starts_here, needs=(anchors,) if anchors else ())
        return _Node("(?:" + "|".join(option.regex for option in options) + ")", anchors, start_anchors, required,
                     starts_here=starts_here, needs=(anchors,) if anchors else ())

    def sequence(self, closing: str | None) -> _Node:
        parts: list[_Node] = []
        while self.peek() not in (None, "|", closing) and not (closing is None and self.peek() in (")", "]")):
            parts.append(self.element(at_start=not parts))
        if not parts:
            raise self.error("empty alternative")
        if len(parts) == 1:
            return parts[0]
        candidates = [part.anchors for part in parts if part.required and part.anchors]
        anchors = min(candidates, key=lambda words: (len(words & _COMMON_WORDS), len(words)), default=None)
        # Where a match can start: the first piece's start anchors, plus those of optional
        # pieces before it ("[maar] niet ..." starts at "maar" or "niet").
        start_anchors = None
        starts_here = False
        possible: frozenset[str] = frozenset()
        for part in parts:
            if part.zero_width and not part.starts_here:
                continue  # a look-ahead ("!x") does not move the start
            if part.start_anchors is None:
                break
            possible |= part.start_anchors
            if part.starts_here:
                start_anchors, starts_here = possible, True
                break
        return _Node("".join(part.regex for part in parts), anchors, start_anchors,
                     any(part.required for part in parts), starts_here=starts_here,
                     needs=tuple(need for part in parts for need in part.needs))

    def element(self, at_start: bool) -> _Node:
        token = self.take()
        if token == "(":
            inner = self.alternatives(closing=")")
            self.expect(")")
            return inner if inner.body is None else _Node(f"(?:{inner.regex})", inner.anchors, inner.start_anchors, True,
                                                         starts_here=True, needs=inner.needs)
        if token == "[":
            inner = self.alternatives(closing="]")
            self.expect("]")
            return _Node(f"(?:{inner.regex})?", None, inner.start_anchors, False)
        if token == "!":
            if self.peek() in (None, "|", ")", "]", "!"):
                raise self.error("'!' must be followed by a word or a group")
            inner = self.element(at_start=False)
            return _Node(f"(?!{inner.regex})", None, None, False, zero_width=True)
        if token == "^":
            if not at_start:
                raise self.error("'^' (sentence start) can only begin a sequence")
            return _Node(r"(?<=\|)", None, frozenset(["^"]), False, zero_width=True, starts_here=True)
        if token == "$":
            return _Node(r"(?= \|)", None, None, False, zero_width=True)
        if token.startswith(".."):
            width = int(token[2:]) if len(token) > 2 else _DEFAULT_GAP
            if not 1 <= width <= 12:
                raise self.error(f"gap {token!r} must be ..1 to ..12")
            # A gap may span clause breaks and words the agent quotes ("u zegt wel dat ... maar").
            return _Node(f"(?: [^ |]+){{0,{width}}}", None, None, False)
        if token == "_":
            return _Node(f"{_OPTIONAL_COMMA} {_WORD_CHARS}+", None, None, True)
        if token == "#":
            return _Node(f"{_OPTIONAL_COMMA} \\d{_WORD_CHARS}*(?= )", _NUMBER_ANCHOR, _NUMBER_ANCHOR, True,
                         starts_here=True, needs=(_NUMBER_ANCHOR,))
        if token == ",":
            return _Node(" ,", None, frozenset([","]), True, starts_here=True)
        if token == '"':
            # The placeholder that stands for quoted words in the stream (analysis._QUOTE_PLACEHOLDER).
            return _Node(f'{_OPTIONAL_COMMA} "(?= )', _QUOTE_ANCHOR, _QUOTE_ANCHOR, True,
                         starts_here=True, needs=(_QUOTE_ANCHOR,))
        if token in (")", "]", "|"):
            raise self.error(f"unexpected {token!r}")
        if not all(ch.isalnum() or ch in "'-*%&" or ord(ch) > 127 for ch in token) or "**" in token:
            raise self.error(f"{token!r} is not a word (letters, digits, emoji, ' - % & and the wildcard *)")
        body = re.escape(token).replace(r"\*", f"{_WORD_CHARS}*")
        anchors = frozenset([token]) if _anchor_usable(token) else None
        return _Node(f"{_OPTIONAL_COMMA} {body}(?= )", anchors, anchors, True, body=body, starts_here=anchors is not None,
                     needs=(anchors,) if anchors else ())

    def expect(self, closing: str) -> None:
        if self.take() != closing:
            raise self.error(f"missing {closing!r}")


_BOUNDARY_MARK_RE = re.compile(r"\|(?= )")
_CLAUSE_MARK_RE = re.compile(r" ,(?= )")
_QUOTE_MARK_RE = re.compile(r' "(?= )')
# Pseudo-words in a WordIndex: any number, and the placeholder for quoted words.
_NUMBER_ANCHOR = frozenset(["#"])
_QUOTE_ANCHOR = frozenset(['"'])


class WordIndex:
    """Where each word occurs in a word stream, for anchored matching.

    Look-ups are memoised per anchor set: many patterns share their anchors (macros), and a
    reply is matched against every rule of a catalogue.
    """

    __slots__ = ("positions", "words", "stream", "_present", "_segment_masks", "_positions")

    def __init__(self, positions: dict[str, list[int]], stream: str = ""):
        # Stream markers as pseudo-words, for patterns that start with "^" or ",": "^" is
        # the position right after each sentence boundary, "," that of each clause break.
        positions = dict(positions)
        positions["^"] = [match.end() for match in _BOUNDARY_MARK_RE.finditer(stream)]
        positions[","] = [match.start() for match in _CLAUSE_MARK_RE.finditer(stream)]
        # "#" (any number) and '"' (quoted words), so patterns with them start only where they can match.
        numbers = sorted(offset for word, offsets in positions.items() if word[:1].isdigit() for offset in offsets)
        if numbers:
            positions["#"] = numbers
        quotes = [match.start() for match in _QUOTE_MARK_RE.finditer(stream)]
        if quotes:
            positions['"'] = quotes
        self.positions = positions
        self.words = frozenset(positions)
        self.stream = stream
        self._present: int | None = None
        self._segment_masks: list[int] | None = None
        self._positions: dict[int, list[int]] = {}

    @property
    def present(self) -> int:
        """A bit mask of the anchor sets (bit = _Anchors.key) with a word in this text: one
        OR per word of the text instead of one look-up per pattern."""
        if self._present is None:
            mask = 0
            for word in self.words:
                mask |= _word_mask(word)
            self._present = mask
        return self._present

    @property
    def segment_masks(self) -> list[int]:
        """Per stream offset, the `present` mask of the stretch between two "|" marks around it.

        No pattern element consumes a "|", so a match lies within one such stretch, and all
        the words a pattern needs must be in the stretch where it starts: a start position in a
        sentence that lacks one of them is not tried (most start positions of a long reply).
        """
        if self._segment_masks is None:
            masks: list[int] = []
            number_mask = _word_mask("#")
            for segment in self.stream.split("|"):
                mask = 0
                for word in segment.split():
                    mask |= _word_mask(word)
                    if word[:1].isdigit():
                        mask |= number_mask
                masks.extend([mask] * (len(segment) + 1))  # + 1: the "|" itself
            self._segment_masks = masks
        return self._segment_masks

    def prefixed(self, prefix: str) -> Iterator[int]:
        for word, offsets in self.positions.items():
            if word.startswith(prefix):
                yield from offsets


class _Anchors:
    """A set of words (exact, or prefixes for "word*") to look up in a WordIndex.

    Built through _anchors() so that equal sets are one object with one `key`.
    """

    __slots__ = ("exact", "prefixes", "key")

    def __init__(self, words: frozenset[str], key: int):
        self.exact = frozenset(word for word in words if not word.endswith("*"))
        self.prefixes = tuple(sorted(word[:-1] for word in words if word.endswith("*")))
        self.key = key

    def positions(self, index: WordIndex) -> list[int]:
        found = index._positions.get(self.key)
        if found is None:
            offsets = [offset for word in self.exact.intersection(index.words) for offset in index.positions[word]]
            for prefix in self.prefixes:
                offsets.extend(index.prefixed(prefix))
            found = index._positions[self.key] = sorted(set(offsets))
        return found


# Every anchor set ever compiled (built-in and house-rule catalogues), shared by equal sets,
# and per word (or "word*" prefix) a bit mask of the anchor sets it belongs to. Kept for the
# life of the process, like the catalogues; a catalogue adds a few hundred sets at most.
_ANCHOR_SETS: dict[frozenset[str], _Anchors] = {}
_ANCHOR_WORDS: dict[str, int] = {}
_ANCHOR_PREFIXES: dict[str, int] = {}
_PREFIX_LENGTHS: tuple[int, ...] = ()
# The mask of each word seen in a text (its exact and prefix anchors), so that a reply's
# words cost one dict look-up each; cleared when anchors are added, bounded in size.
_WORD_MASKS: dict[str, int] = {}
_WORD_MASKS_MAX = 50_000


def _word_mask(word: str) -> int:
    masks = _WORD_MASKS  # this generation's dict: _anchors() replaces it, so nothing stale lands in the new one
    mask = masks.get(word)
    if mask is None:
        mask = _ANCHOR_WORDS.get(word, 0)
        for length in _PREFIX_LENGTHS:
            if length > len(word):
                break
            mask |= _ANCHOR_PREFIXES.get(word[:length], 0)
        if len(masks) >= _WORD_MASKS_MAX:
            masks.clear()
        masks[word] = mask
    return mask


def _anchors(words: frozenset[str]) -> _Anchors:
    global _PREFIX_LENGTHS, _WORD_MASKS
    anchors = _ANCHOR_SETS.get(words)
    if anchors is None:
        anchors = _Anchors(words, len(_ANCHOR_SETS))
        bit = 1 << anchors.key
        for word in anchors.exact:
            _ANCHOR_WORDS[word] = _ANCHOR_WORDS.get(word, 0) | bit
        for prefix in anchors.prefixes:
            _ANCHOR_PREFIXES[prefix] = _ANCHOR_PREFIXES.get(prefix, 0) | bit
        _PREFIX_LENGTHS = tuple(sorted({len(prefix) for prefix in _ANCHOR_PREFIXES}))
        _ANCHOR_SETS[words] = anchors
        _WORD_MASKS = {}  # a new dict, not clear(): a thread still filling the old one cannot make it stale
    return anchors


@dataclass(frozen=True)
class _CompiledPattern:
    source: str  # the regex over the word stream
    start_anchors: _Anchors | None
    needs: int = 0  # bit mask of anchor sets that must all be present (see _Node.needs)
    rarest: _Anchors | None = None  # the needed set least common in replies: the key to index it by
    _compiled: re.Pattern | None = field(default=None, compare=False, repr=False)

    @property
    def regex(self) -> re.Pattern:
        # Compiled on first use: compiling every regex of a catalogue takes seconds, and a one-off
        # `toontje check` needs only the few its reply's words reach. The server compiles them all
        # at start (Catalogue.compile_regexes), so no request waits.
        compiled = self._compiled
        if compiled is None:
            compiled = re.compile(self.source)
            object.__setattr__(self, "_compiled", compiled)
        return compiled

    def first_match(self, stream: str, index: WordIndex, start: int, end: int) -> re.Match | None:
        needs = self.needs
        if index.present & needs != needs:
            return None
        if self.start_anchors is None:
            return self.regex.search(stream, start, end)
        match_at = self.regex.match
        segment_masks = index.segment_masks
        for position in self.start_anchors.positions(index):
            if start <= position < end and segment_masks[position] & needs == needs:
                match = match_at(stream, position, end)
                if match is not None:
                    return match
        return None


@dataclass(frozen=True)
class PatternSet:
    """Compiled patterns (a rule's, or a signal's) for matching a word stream."""

    sources: tuple[str, ...]
    patterns: tuple[_CompiledPattern, ...]
    # The patterns by the key of their anchor set, and those without one: a reply tries only
    # the patterns whose anchor words it holds, instead of checking each pattern of each rule.
    by_anchor_key: dict[int, tuple[_CompiledPattern, ...]] = field(default_factory=dict, compare=False)
    anchor_keys: int = field(default=0, compare=False)  # bit mask of the keys in by_anchor_key
    unanchored: tuple[_CompiledPattern, ...] = field(default=(), compare=False)

    def candidates(self, index: WordIndex) -> list[_CompiledPattern]:
        """The patterns that can match: their anchor words are in the text."""
        found = list(self.unanchored)
        keys = index.present & self.anchor_keys
        while keys:
            lowest = keys & -keys
            found.extend(self.by_anchor_key[lowest.bit_length() - 1])
            keys ^= lowest
        return found

    def spans(self, stream: str, index: WordIndex) -> list[tuple[int, int]]:
        """Non-overlapping (start, end) stream offsets of matches, in order of position."""
        # One loop over the candidates, without a method call per pattern: this runs for every
        # rule of a catalogue on every reply, so call overhead counts.
        found = []
        present = index.present
        memo = index._positions
        segment_masks = index.segment_masks
        for pattern in self.candidates(index):
            needs = pattern.needs
            if present & needs != needs:
                continue
            start_anchors = pattern.start_anchors
            if start_anchors is None:
                matches = pattern.regex.finditer(stream)
            else:
                positions = memo.get(start_anchors.key)
                if positions is None:
                    positions = start_anchors.positions(index)
                if needs:
                    positions = [position for position in positions if segment_masks[position] & needs == needs]
                match_at = pattern.regex.match
                matches = [match for match in map(match_at, repeat(stream), positions) if match is not None]
            for match in matches:
                match_start, match_end = match.span()
                if match_end > match_start:
                    found.append((match_start, -match_end))
        if not found:
            return []
        found.sort()
        spans: list[tuple[int, int]] = []
        for start, negative_end in found:
            if not spans or start >= spans[-1][1]:
                spans.append((start, -negative_end))
        return spans

    def search(self, stream: str, index: WordIndex, start: int = 0, end: int | None = None) -> bool:
        end = len(stream) if end is None else end
        return any(pattern.first_match(stream, index, start, end) is not None for pattern in self.candidates(index))


def compile_patterns(patterns: list[str] | tuple[str, ...], macros: dict[str, str]) -> PatternSet:
    """Compile `patterns` for matching a word stream (see analysis.Document).

    Patterns are folded like the text they match (lower case, no accents).
    """
    compiled = []
    for pattern in patterns:
        if not isinstance(pattern, str):
            raise CatalogueError(f"pattern {pattern!r} is not a string")
        node = _PatternParser(fold(expand_macros(pattern, macros))).parse()
        if not node.required:
            raise CatalogueError(f"pattern {pattern!r} can match without any word")
        needed = [_anchors(words) for words in (node.needs or ((node.anchors,) if node.anchors else ()))]
        needs = 0
        for anchors in needed:
            needs |= 1 << anchors.key
        compiled.append(_CompiledPattern(
            node.regex,
            _anchors(node.start_anchors) if node.start_anchors else None,
            needs,
            min(needed, key=_commonness, default=None),
        ))
    by_anchor_key: dict[int, list[_CompiledPattern]] = {}
    for pattern in compiled:
        if pattern.rarest is not None:
            by_anchor_key.setdefault(pattern.rarest.key, []).append(pattern)
    return PatternSet(
        tuple(patterns), tuple(compiled),
        by_anchor_key={key: tuple(group) for key, group in by_anchor_key.items()},
        anchor_keys=sum(1 << key for key in by_anchor_key),
        unanchored=tuple(pattern for pattern in compiled if pattern.rarest is None),
    )


@cache
def _example_word_counts() -> tuple[dict[str, int], tuple[str, ...]]:
    """In how many examples of the built-in rules each word (or "#": a number) occurs, and the
    words sorted: an estimate of how common a word is in replies, for _commonness()."""
    counts: dict[str, int] = {}
    for lang in LANGUAGES:
        data = tomllib.loads(_builtin_catalogue_text(lang))
        for table in data.get("rule", []):
            for example in table.get("must_fire", []) + table.get("must_not_fire", []):
                text = example.get("text", "") if isinstance(example, dict) else str(example)
                words = {token.norm for token in tokenize(text) if token.kind != "punct"}
                if any(word[:1].isdigit() for word in words):
                    words.add("#")
                for word in words:
                    counts[word] = counts.get(word, 0) + 1
    return counts, tuple(sorted(counts))


_COMMONNESS: dict[int, int] = {}


def _commonness(anchors: _Anchors) -> int:
    """How many rule examples hold a word of `anchors`, summed over its words: a pattern is
    indexed by the least common set of words it needs (PatternSet.candidates), so a reply
    looks at few patterns it cannot match."""
    found = _COMMONNESS.get(anchors.key)
    if found is None:
        counts, words = _example_word_counts()
        found = sum(counts.get(word, 0) for word in anchors.exact)
        for prefix in anchors.prefixes:
            at = bisect_left(words, prefix)
            while at < len(words) and words[at].startswith(prefix):
                found += counts[words[at]]
                at += 1
        _COMMONNESS[anchors.key] = found
    return found


# --- loading ------------------------------------------------------------------------------


def _examples(raw: object, where: str, key: str) -> tuple[Example, ...]:
    if not isinstance(raw, list) or not raw:
        raise CatalogueError(f"{where}: '{key}' needs at least one example")
    examples = []
    for item in raw:
        if isinstance(item, str) and item.strip():
            examples.append(Example(item))
        elif isinstance(item, dict) and isinstance(item.get("text"), str) and set(item) <= {"text", "comment", "author"}:
            examples.append(Example(item["text"], item.get("comment"), item.get("author")))
        else:
            raise CatalogueError(f"{where}: each '{key}' example is a text or {{text, comment, author}}, not {item!r}")
    return tuple(examples)


def _string_list(raw: object, where: str, key: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(item, str) and item.strip() for item in raw):
        raise CatalogueError(f"{where}: '{key}' must be a list of non-empty strings")
    return tuple(raw)


def _required_text(table: dict, key: str, where: str) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value.strip():
        raise CatalogueError(f"{where}: '{key}' is required (a non-empty string)")
    return value.strip()


def _params(raw: object, detector: str, signals: dict, where: str) -> dict:
    defaults = DETECTOR_PARAMS[detector]
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise CatalogueError(f"{where}: 'params' must be a table")
    unknown = set(raw) - set(defaults)
    if unknown:
        raise CatalogueError(
            f"{where}: unknown param(s) {sorted(unknown)} for detector {detector!r}; "
            f"known: {sorted(defaults) or 'none'}"
        )
    params = dict(defaults)
    for key, value in raw.items():
        default = defaults[key]
        expected = float if isinstance(default, float) else type(default)
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, expected) or isinstance(value, bool) != isinstance(default, bool):
            raise CatalogueError(f"{where}: param {key!r} must be {expected.__name__}, not {value!r}")
        if isinstance(value, list) and not all(isinstance(item, str) and item for item in value):
            raise CatalogueError(f"{where}: param {key!r} must be a list of non-empty strings")
        unknown_signals = [name for name in value if name not in signals] if key in _SIGNAL_PARAMS else []
        if unknown_signals:
            raise CatalogueError(f"{where}: param {key!r} names unknown signal(s) {unknown_signals}; known: {sorted(signals)}")
        params[key] = value
    for key, value in params.items():
        if key in ("acronyms", "emphatic_words"):
            params[key] = frozenset(word.casefold() for word in value)
        elif isinstance(value, list):
            params[key] = tuple(value)
    return params


def rule_from_table(table: object, lang: str, source: str, macros: dict, signals: dict, position: int) -> Rule:
    """Validate one [[rule]] table and build its Rule; CatalogueError says what is wrong.

    `position` numbers the rule in its file for messages; macros and signals are the ones
    its patterns and params may use (house_rules.py builds team rules with this).
    """
    where = f"{source}: rule #{position}"
    if not isinstance(table, dict):
        raise CatalogueError(f"{where} must be a table")
    rule_id = table.get("id")
    if not isinstance(rule_id, str) or not _ID_RE.match(rule_id):
        raise CatalogueError(f"{where}: 'id' must be lower-case words joined by '-', got {rule_id!r}")
    where = f"{source}: rule {rule_id!r}"
    unknown = set(table) - RULE_KEYS
    if unknown:
        raise CatalogueError(f"{where}: unknown key(s) {sorted(unknown)}; known: {sorted(RULE_KEYS)}")

    category = table.get("category")
    if category not in CATEGORY_LEVELS:
        raise CatalogueError(f"{where}: unknown category {category!r}; known: {', '.join(CATEGORY_LEVELS)}")
    severity = table.get("severity", CATEGORY_LEVELS[category])
    if severity not in SEVERITIES:
        raise CatalogueError(f"{where}: severity must be 'warn' or 'review', got {severity!r}")
    if severity != CATEGORY_LEVELS[category] and not str(table.get("severity_reason", "")).strip():
        raise CatalogueError(
            f"{where}: severity {severity!r} differs from category {category!r} "
            f"({CATEGORY_LEVELS[category]}); say why in 'severity_reason'"
        )

    patterns = _string_list(table.get("patterns"), where, "patterns")
    unless = _string_list(table.get("unless"), where, "unless")
    unless_nearby = _string_list(table.get("unless_nearby"), where, "unless_nearby")
    unless_reply = _string_list(table.get("unless_reply"), where, "unless_reply")
    whole_reply = table.get("whole_reply", False)
    if not isinstance(whole_reply, bool):
        raise CatalogueError(f"{where}: 'whole_reply' must be true or false")
    detector = table.get("detector", "phrases")
    if detector not in DETECTOR_PARAMS:
        raise CatalogueError(f"{where}: unknown detector {detector!r}; known: {', '.join(DETECTOR_PARAMS)}")
    if detector == "phrases" and not patterns:
        raise CatalogueError(f"{where}: a phrase rule needs 'patterns'")
    if detector != "phrases" and (patterns or unless or unless_nearby or unless_reply or whole_reply):
        raise CatalogueError(f"{where}: detector {detector!r} takes 'params', not 'patterns'/'unless'/'unless_nearby'/'whole_reply'")
    statements_only = table.get("statements_only", False)
    questions_only = table.get("questions_only", False)
    if not isinstance(statements_only, bool) or not isinstance(questions_only, bool):
        raise CatalogueError(f"{where}: 'statements_only' and 'questions_only' must be true or false")
    if statements_only and questions_only:
        raise CatalogueError(f"{where}: a rule cannot be both 'statements_only' and 'questions_only'")

    try:
        matcher = compile_patterns(patterns, macros) if patterns else None
        unless_matcher = compile_patterns(unless, macros) if unless else None
        nearby_matcher = compile_patterns(unless_nearby, macros) if unless_nearby else None
        reply_matcher = compile_patterns(unless_reply, macros) if unless_reply else None
    except CatalogueError as error:
        raise CatalogueError(f"{where}: {error}") from None

    return Rule(
        id=rule_id,
        lang=lang,
        category=category,
        severity=severity,
        message=_required_text(table, "message", where),
        description=_required_text(table, "description", where),
        replacements=_string_list(table.get("replacements"), where, "replacements"),
        examples_fire=_examples(table.get("must_fire"), where, "must_fire"),
        examples_quiet=_examples(table.get("must_not_fire"), where, "must_not_fire"),
        detector=detector,
        params=_params(table.get("params"), detector, signals, where),
        statements_only=statements_only,
        questions_only=questions_only,
        source=source,
        matcher=matcher,
        unless_matcher=unless_matcher,
        nearby_matcher=nearby_matcher,
        whole_reply=whole_reply,
        reply_matcher=reply_matcher,
    )


def parse_catalogue(text: str, source: str, lang: str | None = None, base: Catalogue | None = None) -> Catalogue:
    """Parse and validate catalogue TOML `text`; `source` names it in error messages.

    `lang` is required when the file does not say `language = ...`. With `base` (the built-in
    catalogue), the file may use the base's macros and signals; merge with base.merged_with().
    Raises CatalogueError saying what is wrong and where.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise CatalogueError(f"{source}: not valid TOML: {error}") from None
    unknown = set(data) - {"language", "macros", "signals", "rule"}
    if unknown:
        raise CatalogueError(f"{source}: unknown top-level key(s) {sorted(unknown)}; known: language, macros, signals, rule")
    file_lang = data.get("language", lang)
    if lang is not None and file_lang != lang or file_lang not in LANGUAGES:
        raise CatalogueError(f"{source}: language must be one of {LANGUAGES} (and match {lang!r}), got {file_lang!r}")
    if base is not None and base.lang != file_lang:
        raise CatalogueError(f"{source}: language {file_lang!r} does not match the base catalogue {base.lang!r}")

    macros = dict(base.macros) if base else {}
    raw_macros = data.get("macros", {})
    if not isinstance(raw_macros, dict) or not all(isinstance(v, str) for v in raw_macros.values()):
        raise CatalogueError(f"{source}: [macros] must map names to pattern strings")
    macros.update(raw_macros)

    signals = dict(base.signals) if base else {}
    signal_sources = dict(base.signal_sources) if base else {}
    raw_signals = data.get("signals", {})
    if not isinstance(raw_signals, dict):
        raise CatalogueError(f"{source}: [signals] must map names to lists of patterns")
    for name, patterns in raw_signals.items():
        where = f"{source}: signal {name!r}"
        patterns = _string_list(patterns, where, "patterns")
        if not patterns:
            raise CatalogueError(f"{where}: needs at least one pattern")
        try:
            signals[name] = compile_patterns(patterns, macros)
        except CatalogueError as error:
            raise CatalogueError(f"{where}: {error}") from None
        signal_sources[name] = patterns

    raw_rules = data.get("rule", [])
    if not isinstance(raw_rules, list):
        raise CatalogueError(f"{source}: rules are written as [[rule]] tables")
    rules = []
    seen = set()
    for position, table in enumerate(raw_rules, start=1):
        rule = rule_from_table(table, file_lang, source, macros, signals, position)
        if rule.id in seen:
            raise CatalogueError(f"{source}: duplicate rule id {rule.id!r}")
        seen.add(rule.id)
        rules.append(rule)
    return Catalogue(file_lang, tuple(rules), macros, signals, signal_sources)


@cache
def _builtin_catalogue_text(lang: str) -> str:
    return resources.files("toontje").joinpath("rules", f"{lang}.toml").read_text(encoding="utf-8")


@cache
def load_catalogue(lang: str) -> Catalogue:
    """The built-in catalogue for `lang` ("nl" or "en"), loaded once."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; known: {', '.join(LANGUAGES)}")
    return parse_catalogue(_builtin_catalogue_text(lang), f"rules/{lang}.toml", lang)


def all_rules() -> list[Rule]:
    """Every built-in rule of every language, in catalogue order."""
    return [rule for lang in LANGUAGES for rule in load_catalogue(lang).rules]
