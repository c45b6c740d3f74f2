"""A small learned detector of escalating sentences: the long tail the phrase rules miss.

The phrase rules are precise but miss phrasing nobody wrote a pattern for ("Ons team treft
geen blaam", "Cute theory, but no."). This detector scores each sentence of a reply with a
logistic regression over folded word unigrams and bigrams, in pure Python, per language.

Training data (see tests/benchmarks/learned_cv.py for the cross-validation that chose this):

    the catalogue   escalating: the must_fire examples of every warn-level rule;
                    calm: the must_not_fire examples of every rule and the must_fire examples
                    of review-level rules (unless the same text is also an escalating example)
    labelled sets   tests/eval/dev.jsonl and holdout.jsonl, per sentence: every sentence of an
                    "ok" reply is calm (counted twice: false warnings cost most); a sentence of a
                    "risky" reply is escalating where a rule warns in it (others are left out)

Trained on the catalogue alone, the detector warned on 6-7% of the ok replies of the labelled
sets at a threshold that keeps its recall useful; with the labelled sets, ~3%. The labelled
sets are in tests/ (not shipped), so the escalation weights are built by a script and shipped
as rules/learned-<lang>.json:

    python -m toontje.learned build tests/eval/dev.jsonl tests/eval/holdout.jsonl

Rebuild after changing a catalogue's examples. The category (which warn category a flagged
sentence most likely is) comes from a naive Bayes model trained at first use from the
catalogue's warn examples alone (a few tens of milliseconds). Training is deterministic
(fixed order, no randomness): the same build gives the same weights.

Words that are not the agent's own (quoted or reported customer words, links, @handles)
are one placeholder feature, as in analysis.Document: they never count as the agent speaking.

`score_sentence(tokens, is_hidden, lang)` gives (probability of escalation, most likely warn
category); analysis.py turns a probability at or above the rule's `threshold` into a finding
for a sentence where no other rule warns.
"""

from __future__ import annotations

import json
import math
import sys
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Callable, Iterable, Sequence

from . import LANGUAGES
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


# --- the models -----------------------------------------------------------------------------

Example = tuple[frozenset[str], int, "str | None"]  # (features, 1 escalating / 0 calm, warn category)


@dataclass(frozen=True)
class Model:
    """Logistic regression: P(escalating) = sigmoid(bias + sum of the weights of the features)."""

    weights: dict[str, float]
    bias: float

    def probability(self, found: Iterable[str]) -> float:
        weights = self.weights
        z = self.bias + sum(weights.get(feature, 0.0) for feature in found)
        if z >= 0:
            return 1.0 / (1.0 + math.exp(-z))
        e = math.exp(z)
        return e / (1.0 + e)


@dataclass(frozen=True)
class CategoryModel:
    """Multinomial naive Bayes over the warn categories of escalating examples."""

    log_prior: dict[str, float]
    log_likelihood: dict[str, dict[str, float]]
    unseen: dict[str, float]
    vocabulary: frozenset[str]

    def category(self, found: Iterable[str]) -> str:
        known = [feature for feature in found if feature in self.vocabulary]
        best, best_score = WARN_CATEGORIES[0], -math.inf
        for category in WARN_CATEGORIES:  # fixed order: ties go to the first
            if category not in self.log_prior:
                continue
            table, unseen = self.log_likelihood[category], self.unseen[category]
            score = self.log_prior[category] + sum(table.get(feature, unseen) for feature in known)
            if score > best_score:
                best, best_score = category, score
        return best


def train(examples: Sequence[Example], epochs: int = EPOCHS, learning_rate: float = LEARNING_RATE,
          l2: float = L2) -> Model:
    """Logistic regression by AdaGrad SGD over the examples, visited in a fixed order per epoch."""
    weights: dict[str, float] = {}
    squares: dict[str, float] = {}
    bias, bias_square = 0.0, 1e-8
    n = len(examples)
    for epoch in range(epochs):
        stride = _coprime_stride(n, epoch)  # a fixed permutation per epoch: stride through the list
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
    return Model(weights, bias)


def _coprime_stride(n: int, epoch: int) -> int:
    if n <= 1:
        return 1
    stride = (n // 2 + 1 + 7 * epoch) % n or 1
    while math.gcd(stride, n) != 1:
        stride = stride % n + 1
    return stride


def train_categories(examples: Sequence[Example], alpha: float = CATEGORY_ALPHA) -> CategoryModel:
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
        vocabulary.update(found)
        totals[category] = totals.get(category, 0) + len(found)
    all_documents = sum(documents.values()) or 1
    size = len(vocabulary) or 1
    prior = {category: math.log(count / all_documents) for category, count in documents.items()}
    likelihood, unseen = {}, {}
    for category, table in counts.items():
        denominator = totals[category] + alpha * size
        likelihood[category] = {feature: math.log((count + alpha) / denominator) for feature, count in table.items()}
        unseen[category] = math.log(alpha / denominator)
    return CategoryModel(prior, likelihood, unseen, frozenset(vocabulary))


# --- training data ----------------------------------------------------------------------------

CALM_REPEAT = 2  # each calm sentence of a labelled ok reply counts this often


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


def labelled_examples(rows: Iterable[dict], lang: str) -> list[Example]:
    """Sentence examples from labelled replies (tests/eval format) of `lang`: every sentence of
    an ok reply is calm (CALM_REPEAT times); a sentence of a risky reply is escalating where a
    rule (not this detector) warns in it, with that rule's category."""
    from .analysis import Context, Document, analyze
    from .rules import Catalogue, load_catalogue

    full = load_catalogue(lang)
    rules_only = Catalogue(lang, tuple(rule for rule in full.rules if rule.detector != "learned"),
                           full.macros, full.signals, full.signal_sources)
    examples: list[Example] = []
    for row in rows:
        if row["lang"] != lang:
            continue
        context = row.get("context") or {}
        result = analyze(row["text"], lang, Context(context.get("comment"), context.get("author")), {lang: rules_only})
        warns = [finding for finding in result.findings if finding.severity == "warn"]
        doc = Document(row["text"], lang)
        for sentence in doc.sentences:
            terms = sentence_terms(sentence.tokens, doc.is_hidden)
            if not _has_words(terms):
                continue
            found = features(terms)
            if row["label"] == "ok":
                examples.extend([(found, 0, None)] * CALM_REPEAT)
                continue
            hits = [f for f in warns if f.start < sentence.end and sentence.start < f.end]
            if hits:
                examples.append((found, 1, hits[0].category))
    return examples


def _has_words(terms: Sequence[str]) -> bool:
    return any(term not in _KEPT_PUNCT and term != _QUOTE for term in terms)


def training_examples(lang: str, labelled_rows: Sequence[dict] = ()) -> list[Example]:
    examples: list[Example] = [(text_features(text), label, category) for text, label, category in catalogue_examples(lang)]
    return examples + labelled_examples(labelled_rows, lang)


# --- the shipped weights ---------------------------------------------------------------------

_PRUNE_BELOW = 0.005  # weights this small change no probability noticeably; left out of the file


def weights_path(lang: str) -> Path:
    return Path(__file__).resolve().parent / "rules" / f"learned-{lang}.json"


def build(paths: Sequence[str | Path]) -> list[Path]:
    """Train each language on its catalogue + the labelled files and write rules/learned-<lang>.json."""
    rows = [json.loads(line) for path in paths for line in Path(path).read_text(encoding="utf-8").splitlines()
            if line.strip()]
    written = []
    for lang in LANGUAGES:
        examples = training_examples(lang, rows)
        trained = train(examples)
        data = {
            "language": lang,
            "about": "Escalation weights of toontje.learned; built by `python -m toontje.learned build "
                     + " ".join(Path(path).name for path in paths) + "` from the catalogue and those files.",
            "examples": {"escalating": sum(1 for e in examples if e[1]), "calm": sum(1 for e in examples if not e[1])},
            "settings": {"epochs": EPOCHS, "learning_rate": LEARNING_RATE, "l2": L2, "calm_repeat": CALM_REPEAT},
            "bias": round(trained.bias, 5),
            "weights": {feature: round(weight, 4) for feature, weight in sorted(trained.weights.items())
                        if abs(weight) >= _PRUNE_BELOW},
        }
        path = weights_path(lang)
        path.write_text(json.dumps(data, ensure_ascii=False, indent=0, sort_keys=False) + "\n", encoding="utf-8")
        written.append(path)
    return written


@cache
def model(lang: str) -> Model:
    """The escalation model of `lang`, from the shipped weights file."""
    text = resources.files("toontje").joinpath("rules", f"learned-{lang}.json").read_text(encoding="utf-8")
    data = json.loads(text)
    return Model(data["weights"], data["bias"])


@cache
def category_model(lang: str) -> CategoryModel:
    """The category model of `lang`, trained from its catalogue's warn examples on first use."""
    return train_categories([(text_features(text), 1, category)
                             for text, label, category in catalogue_examples(lang) if label])


def score_sentence(tokens: Iterable[Token], is_hidden: Callable[[Token], bool], lang: str) -> tuple[float, str]:
    """(probability that the sentence escalates, its most likely warn category); (0.0, "")
    for a sentence without words of the agent's own."""
    terms = sentence_terms(tokens, is_hidden)
    if not _has_words(terms):
        return 0.0, ""
    found = features(terms)
    return model(lang).probability(found), category_model(lang).category(found)


def score_text(text: str, lang: str) -> list[tuple[float, str]]:
    """score_sentence() of each sentence of `text`, as analysis would see them."""
    tokens = tokenize(text)
    hidden = _hidden_predicate(text, tokens)
    return [score_sentence(sentence.tokens, hidden, lang) for sentence in split_sentences(text, tokens)]


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) < 2 or args[0] != "build":
        print("usage: python -m toontje.learned build LABELLED.jsonl [...]", file=sys.stderr)
        return 2
    for path in build(args[1:]):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
