"""A small learned detector of escalating sentences, trained from the rule catalogues.

The phrase rules are precise but miss the long tail of phrasing ("Ons team treft geen
blaam", "Cute theory, but no."). This detector is a logistic regression over folded word
unigrams and bigrams of one sentence, in pure Python, per language. Its training data are
the catalogue's own examples ("rules are data"):

    escalating  the must_fire examples of every warn-level rule (their category is the label
                of the category model)
    calm        the must_not_fire examples of every rule, and the must_fire examples of
                review-level rules, unless the same text is also an escalating example

It trains once per language at first use (about a tenth of a second), deterministically
(fixed order, no randomness), so the same reply always gets the same probabilities.

Words that are not the agent's own (quoted or reported customer words, links, @handles)
are one placeholder feature, as in analysis.Document: they never count as the agent speaking.

`score_sentence(tokens, is_hidden, lang)` gives (probability of escalation, most likely warn
category); analysis.py turns a probability above the rule's `threshold` into a finding.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from typing import Callable, Iterable, Sequence

from .text import Token, machine_spans, quoted_spans, reported_spans, split_sentences, tokenize

WARN_CATEGORIES = ("argumentative", "attacking", "defensive", "impatient", "dismissive", "emotional")

_QUOTE = "<q>"
_NUMBER = "<#>"
_KEPT_PUNCT = frozenset("!?")

# Training settings, chosen by cross-validation on the catalogue examples
# (tests/benchmarks/learned_cv.py prints the figures).
EPOCHS = 12
LEARNING_RATE = 0.5
L2 = 1e-4
CATEGORY_ALPHA = 0.3


def sentence_terms(tokens: Iterable[Token], is_hidden: Callable[[Token], bool]) -> list[str]:
    """The folded words of one sentence as the model sees them: hidden words one placeholder,
    numbers one symbol, "!" and "?" kept, other punctuation dropped."""
    terms: list[str] = []
    for token in tokens:
        if is_hidden(token):
            if not terms or terms[-1] != _QUOTE:
                terms.append(_QUOTE)
            continue
        if token.kind == "punct":
            if token.text in _KEPT_PUNCT:
                terms.append(token.text)
            continue
        norm = token.norm
        terms.append(_NUMBER if norm[:1].isdigit() else norm)
    return terms


def features(terms: Sequence[str]) -> frozenset[str]:
    """Binary features: each word, and each pair of neighbouring words (with start and end)."""
    words = [term for term in terms if term not in _KEPT_PUNCT]
    found = set(words)
    padded = ["<s>", *terms, "</s>"]
    found.update(f"{a} {b}" for a, b in zip(padded, padded[1:]))
    found.discard(_QUOTE)  # the placeholder alone says nothing; in bigrams it does
    return frozenset(found)


def _hidden_predicate(text: str, tokens: list[Token]) -> Callable[[Token], bool]:
    hidden = sorted(quoted_spans(text) + reported_spans(text) + machine_spans(text))
    if not hidden:
        return lambda token: False
    inside = {token.start for token in tokens if any(start < token.end and token.start < end for start, end in hidden)}
    return lambda token: token.start in inside


def text_terms(text: str) -> list[list[str]]:
    """sentence_terms() of each sentence of `text` (as analysis would see them)."""
    tokens = tokenize(text)
    hidden = _hidden_predicate(text, tokens)
    return [sentence_terms(sentence.tokens, hidden) for sentence in split_sentences(text, tokens)]


def text_features(text: str) -> frozenset[str]:
    """Features of a whole example text (all its sentences): the training unit."""
    found: set[str] = set()
    for terms in text_terms(text):
        found |= features(terms)
    return frozenset(found)


# --- the model ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Model:
    weights: dict[str, float]
    bias: float
    # Category model: multinomial naive Bayes over the escalating examples.
    category_log_prior: dict[str, float]
    category_log_likelihood: dict[str, dict[str, float]]
    category_unseen: dict[str, float]

    def probability(self, found: Iterable[str]) -> float:
        weights = self.weights
        z = self.bias + sum(weights.get(feature, 0.0) for feature in found)
        if z >= 0:
            return 1.0 / (1.0 + math.exp(-z))
        e = math.exp(z)
        return e / (1.0 + e)

    def category(self, found: Iterable[str]) -> str:
        found = list(found)
        best, best_score = WARN_CATEGORIES[0], -math.inf
        for category in WARN_CATEGORIES:
            if category not in self.category_log_prior:
                continue
            table = self.category_log_likelihood[category]
            unseen = self.category_unseen[category]
            score = self.category_log_prior[category] + sum(table.get(feature, unseen) for feature in found
                                                            if feature in self._vocabulary)
            if score > best_score:
                best, best_score = category, score
        return best

    @property
    def _vocabulary(self) -> frozenset[str]:
        vocabulary = self.__dict__.get("_vocab")
        if vocabulary is None:
            vocabulary = frozenset(f for table in self.category_log_likelihood.values() for f in table)
            object.__setattr__(self, "_vocab", vocabulary)
        return vocabulary


def train(examples: Sequence[tuple[frozenset[str], int, str | None]], epochs: int = EPOCHS,
          learning_rate: float = LEARNING_RATE, l2: float = L2, category_alpha: float = CATEGORY_ALPHA) -> Model:
    """Logistic regression by AdaGrad SGD over (features, label 1/0, category) in the given order
    (deterministic: the order is fixed, with a fixed interleaving per epoch)."""
    weights: dict[str, float] = {}
    squares: dict[str, float] = {}
    bias, bias_square = 0.0, 1e-8
    n = len(examples)
    for epoch in range(epochs):
        # A fixed permutation per epoch: stride through the examples (n and the stride coprime).
        stride = _coprime_stride(n, epoch)
        position = epoch % n if n else 0
        for _ in range(n):
            found, label, _category = examples[position]
            position = (position + stride) % n
            z = bias + sum(weights.get(feature, 0.0) for feature in found)
            p = 1.0 / (1.0 + math.exp(-z)) if z >= -30 else 0.0
            gradient = p - label
            bias_square += gradient * gradient
            bias -= learning_rate * gradient / math.sqrt(bias_square)
            for feature in found:
                weight = weights.get(feature, 0.0)
                step = gradient + l2 * weight
                square = squares.get(feature, 1e-8) + step * step
                squares[feature] = square
                weights[feature] = weight - learning_rate * step / math.sqrt(square)
    return Model(weights, bias, *_category_model(examples, category_alpha))


def _coprime_stride(n: int, epoch: int) -> int:
    if n <= 1:
        return 1
    stride = (n // 2 + 1 + 7 * epoch) % n or 1
    while math.gcd(stride, n) != 1:
        stride = stride % n + 1
    return stride


def _category_model(examples, alpha: float):
    counts: dict[str, dict[str, int]] = {}
    totals: dict[str, int] = {}
    documents: dict[str, int] = {}
    vocabulary: set[str] = set()
    for found, label, category in examples:
        if not label or category is None:
            continue
        documents[category] = documents.get(category, 0) + 1
        table = counts.setdefault(category, {})
        for feature in found:
            table[feature] = table.get(feature, 0) + 1
            vocabulary.add(feature)
        totals[category] = totals.get(category, 0) + len(found)
    all_documents = sum(documents.values()) or 1
    prior = {category: math.log(count / all_documents) for category, count in documents.items()}
    likelihood: dict[str, dict[str, float]] = {}
    unseen: dict[str, float] = {}
    size = len(vocabulary) or 1
    for category, table in counts.items():
        denominator = totals[category] + alpha * size
        likelihood[category] = {feature: math.log((count + alpha) / denominator) for feature, count in table.items()}
        unseen[category] = math.log(alpha / denominator)
    # Features seen in some category but not this one get `unseen`; keep every table's keys
    # to the shared vocabulary via Model._vocabulary.
    return prior, likelihood, unseen


def catalogue_examples(lang: str) -> list[tuple[str, int, str | None]]:
    """(text, 1 escalating / 0 calm, warn category or None) from the built-in catalogue."""
    from .rules import load_catalogue

    escalating: dict[str, str] = {}
    calm: list[str] = []
    for rule in load_catalogue(lang).rules:
        if rule.detector == "learned":
            continue  # the detector's own examples test it; they are not its training data
        if rule.severity == "warn":
            for example in rule.examples_fire:
                escalating.setdefault(example.text, rule.category)
        else:
            calm.extend(example.text for example in rule.examples_fire)
        calm.extend(example.text for example in rule.examples_quiet)
    rows: list[tuple[str, int, str | None]] = [(text, 1, category) for text, category in escalating.items()]
    seen = set(escalating)
    for text in calm:
        if text not in seen:
            seen.add(text)
            rows.append((text, 0, None))
    return rows


@cache
def model(lang: str) -> Model:
    """The model of `lang`, trained from its catalogue on first use."""
    rows = catalogue_examples(lang)
    return train([(text_features(text), label, category) for text, label, category in rows])


def score_sentence(tokens: Iterable[Token], is_hidden: Callable[[Token], bool], lang: str) -> tuple[float, str]:
    """(probability that the sentence escalates, its most likely warn category)."""
    found = features(sentence_terms(tokens, is_hidden))
    trained = model(lang)
    return trained.probability(found), trained.category(found)


def score_text(text: str, lang: str) -> list[tuple[float, str]]:
    """score_sentence() of each sentence of `text`: for tests and the benchmark."""
    trained = model(lang)
    result = []
    for terms in text_terms(text):
        found = features(terms)
        result.append((trained.probability(found), trained.category(found)))
    return result
