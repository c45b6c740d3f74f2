"""``toontje eval``: how well the ``warn`` verdict separates escalating replies from good ones.

Usage (wired into ``toontje.cli`` as the ``eval`` subcommand; also ``python -m toontje.evaluation``)::

    toontje eval FILE [FILE ...] [--public [DIR]] [--sample N] [--auto-lang] [--show-errors] [--json]

FILE is a labelled JSONL file (format in ``tests/eval/README.md``): ``label`` "risky" must get
verdict ``warn``, "ok" must not (``review`` is fine). For each file it prints, per language and
overall: n, recall on risky replies (warn / risky), false-warning rate on ok replies
(warn / ok), precision of warn, the false-warning rate on traps, and recall per warn category.

``--public [DIR]`` also runs the public sets described in ``../shared/eval/README.md`` (default
DIR: the ``shared/eval`` folder beside the repository, i.e. ``Path(repo).parent / "shared" / "eval"``),
each mapped to expected verdicts exactly as that README's table says (see ``PUBLIC_SETS``).
Only figures are printed or returned for them, never their text (licences, real handles,
slurs). To keep a full run short, each set is capped at ``--sample N`` rows per expected class
(default ``DEFAULT_SAMPLE``): a deterministic sample, the rows with the smallest SHA-1 of their
text; the sample size is always printed.

Replies are analysed with their labelled language (``--auto-lang``: detected, as the extension
does); a line reports where language detection disagrees with the label.
``--show-errors`` lists misclassified ids and texts of our OWN files only. ``--json`` prints
one JSON document instead of tables. Exit code 0, or 2 when a file cannot be read.

API hook for ``cli.py``: ``add_arguments(parser)`` adds the arguments above to an argparse
(sub)parser and ``run(args) -> int`` runs them; ``main(argv) -> int`` does both.
For tests: ``load_labelled``, ``evaluate_rows``, ``evaluate_file``, ``load_public_set``,
``evaluate_public_set``, ``evaluate_public`` return result objects; ``format_*`` render them.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import re
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterable

WARN_CATEGORIES = ("argumentative", "attacking", "defensive", "impatient", "dismissive", "emotional")
REVIEW_CATEGORIES = ("missing-name", "missing-empathy", "missing-private-channel", "cliche",
                     "register-mismatch", "empty-promise", "missing-thanks")
LABELS = ("ok", "risky")
DEFAULT_SAMPLE = 1200  # rows per expected class per public set: all brand replies; `--public` stays under a minute

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_PUBLIC_DIR = REPO_ROOT.parent / "shared" / "eval"

# An analyzer takes (text, lang, context dict | None) and returns (verdict, warn categories) or
# (verdict, warn categories, warn rule ids).
Analyzer = Callable[[str, str, "dict | None"], tuple]


class EvalError(Exception):
    """A labelled file or a public set cannot be read; the message says where and why."""


# --------------------------------------------------------------------------------------------
# the real analyzer


def toontje_analyzer(text: str, lang: str, context: dict | None) -> tuple[str, frozenset[str], tuple[str, ...]]:
    """Runs toontje.analysis.analyze; returns (verdict, categories and rule ids of its warn findings)."""
    from .analysis import Context, analyze

    ctx = Context(comment=context.get("comment"), author=context.get("author")) if context else None
    result = analyze(text, lang, ctx)
    warns = [f for f in result.findings if f.severity == "warn"]
    return result.verdict, frozenset(f.category for f in warns), tuple(sorted({f.rule for f in warns}))


def _unpack(output: tuple) -> tuple[str, frozenset[str], tuple[str, ...]]:
    verdict, categories = output[0], frozenset(output[1])
    return verdict, categories, tuple(output[2]) if len(output) > 2 else ()


# --------------------------------------------------------------------------------------------
# our own labelled files


@dataclass(frozen=True)
class Row:
    id: str
    lang: str
    label: str  # "ok" | "risky"
    categories: tuple[str, ...]
    trap: bool
    text: str
    context: dict | None = None


def load_labelled(path: str | Path) -> list[Row]:
    """Reads a labelled JSONL file; raises EvalError naming the line for anything malformed."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise EvalError(f"{path}: cannot read ({error.strerror or error})") from None
    rows: list[Row] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as error:
            raise EvalError(f"{where}: invalid JSON ({error.msg})") from None
        if not isinstance(raw, dict):
            raise EvalError(f"{where}: expected a JSON object")
        for key, kind in (("id", str), ("lang", str), ("label", str), ("text", str)):
            if not isinstance(raw.get(key), kind):
                raise EvalError(f"{where}: field {key!r} must be a string")
        if raw["label"] not in LABELS:
            raise EvalError(f"{where}: label must be 'ok' or 'risky', not {raw['label']!r}")
        categories = raw.get("categories", [])
        if not isinstance(categories, list) or not all(isinstance(c, str) for c in categories):
            raise EvalError(f"{where}: categories must be a list of strings")
        context = raw.get("context")
        if context is not None and not isinstance(context, dict):
            raise EvalError(f"{where}: context must be an object with 'comment' and/or 'author'")
        rows.append(Row(raw["id"], raw["lang"], raw["label"], tuple(categories), bool(raw.get("trap", False)),
                        raw["text"], context))
    return rows


@dataclass
class Prediction:
    row: Row
    verdict: str
    warn_categories: tuple[str, ...]
    warn_rules: tuple[str, ...] = ()

    @property
    def warned(self) -> bool:
        return self.verdict == "warn"

    @property
    def correct(self) -> bool:
        return self.warned == (self.row.label == "risky")


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def _share(part: str, whole: str) -> property:
    """A read-only property: the count named `part` over the count named `whole`, None while
    `whole` is 0 (no rows, no figure; a 0.0 would read as a measured result)."""
    return property(lambda self: _ratio(getattr(self, part), getattr(self, whole)),
                    doc=f"{part} / {whole}, None when {whole} is 0")


@dataclass
class CategoryScore:
    total: int = 0  # risky rows labelled with this category
    warned: int = 0  # ... that got verdict warn
    named: int = 0  # ... that got a warn finding of this very category

    recall = _share("warned", "total")
    named_rate = _share("named", "total")


@dataclass
class Scores:
    """Confusion counts for one language (or "all")."""

    lang: str
    n: int = 0
    risky: int = 0
    risky_warned: int = 0
    ok: int = 0
    ok_warned: int = 0
    traps: int = 0
    traps_warned: int = 0
    categories: dict[str, CategoryScore] = field(default_factory=dict)

    recall = _share("risky_warned", "risky")
    false_warning_rate = _share("ok_warned", "ok")
    trap_false_warning_rate = _share("traps_warned", "traps")

    @property
    def precision(self) -> float | None:
        return _ratio(self.risky_warned, self.risky_warned + self.ok_warned)

    def add(self, prediction: Prediction) -> None:
        row = prediction.row
        self.n += 1
        if row.label == "risky":
            self.risky += 1
            self.risky_warned += prediction.warned
            for category in row.categories:
                score = self.categories.setdefault(category, CategoryScore())
                score.total += 1
                score.warned += prediction.warned
                score.named += prediction.warned and category in prediction.warn_categories
        else:
            self.ok += 1
            self.ok_warned += prediction.warned
            if row.trap:
                self.traps += 1
                self.traps_warned += prediction.warned

    def to_json(self) -> dict:
        return {
            "lang": self.lang, "n": self.n, "risky": self.risky, "risky_warned": self.risky_warned,
            "ok": self.ok, "ok_warned": self.ok_warned, "traps": self.traps, "traps_warned": self.traps_warned,
            "recall": self.recall, "false_warning_rate": self.false_warning_rate, "precision": self.precision,
            "trap_false_warning_rate": self.trap_false_warning_rate,
            "categories": {name: {**asdict(score), "recall": score.recall, "named_rate": score.named_rate}
                           for name, score in sorted(self.categories.items())},
        }


@dataclass
class FileResult:
    path: str
    by_lang: dict[str, Scores]
    overall: Scores
    predictions: list[Prediction]
    seconds: float
    failures: list[tuple[str, str]] = field(default_factory=list)  # (row id, exception) if analysis crashed
    language_mismatches: list[tuple[str, str]] | None = None  # (row id, detected) where detection disagrees

    @property
    def errors(self) -> list[Prediction]:
        return [p for p in self.predictions if not p.correct]

    def to_json(self, show_errors: bool = False) -> dict:
        data = {
            "path": self.path, "seconds": round(self.seconds, 3),
            "languages": {lang: scores.to_json() for lang, scores in self.by_lang.items()},
            "all": self.overall.to_json(),
            "analysis_failures": [{"id": rid, "error": err} for rid, err in self.failures],
        }
        if self.language_mismatches is not None:
            data["language_detection"] = {
                "agree": self.overall.n - len(self.language_mismatches), "n": self.overall.n,
                "mismatches": [{"id": rid, "detected": lang} for rid, lang in self.language_mismatches]}
        if show_errors:
            data["errors"] = [{"id": p.row.id, "label": p.row.label, "verdict": p.verdict,
                               "categories": list(p.row.categories), "found": list(p.warn_categories),
                               "rules": list(p.warn_rules),
                               "trap": p.row.trap, "text": p.row.text} for p in self.errors]
        return data


def evaluate_rows(rows: Iterable[Row], analyzer: Analyzer | None = None, path: str = "") -> FileResult:
    """Runs the analyzer on each row (with the row's language and context) and counts per language.

    A row whose analysis raises is counted as verdict "error" (never warn) and listed in `failures`.
    """
    analyzer = analyzer or toontje_analyzer
    started = time.perf_counter()
    predictions: list[Prediction] = []
    failures: list[tuple[str, str]] = []
    for row in rows:
        try:
            verdict, categories, rules = _unpack(analyzer(row.text, row.lang, row.context))
        except Exception as error:  # an analyzer bug must not hide the other figures
            verdict, categories, rules = "error", frozenset(), ()
            failures.append((row.id, f"{type(error).__name__}: {error}"))
        predictions.append(Prediction(row, verdict, tuple(sorted(categories)), rules))
    seconds = time.perf_counter() - started
    by_lang: dict[str, Scores] = {}
    overall = Scores("all")
    for prediction in predictions:
        by_lang.setdefault(prediction.row.lang, Scores(prediction.row.lang)).add(prediction)
        overall.add(prediction)
    by_lang = dict(sorted(by_lang.items(), key=lambda kv: (kv[0] != "nl", kv[0])))
    return FileResult(path, by_lang, overall, predictions, seconds, failures)


def evaluate_file(path: str | Path, analyzer: Analyzer | None = None, check_language: bool = False) -> FileResult:
    """Evaluates a labelled file; `check_language` also compares detect_language() with each row's lang."""
    rows = load_labelled(path)
    result = evaluate_rows(rows, analyzer, str(path))
    if check_language:
        from .language import detect_language

        result.language_mismatches = [(r.id, d) for r in rows if (d := detect_language(r.text)) != r.lang]
    return result


def auto_language_analyzer(text: str, lang: str, context: dict | None) -> tuple[str, frozenset[str]]:
    """Like toontje_analyzer but lets toontje detect the language, as the extension does (lang="auto")."""
    return toontje_analyzer(text, "auto", context)


# --------------------------------------------------------------------------------------------
# public sets (../shared/eval): figures only, never text

WARN, NOT_WARN = "warn", "not-warn"


@dataclass(frozen=True)
class PublicItem:
    text: str
    expected: str | None  # WARN, NOT_WARN, or None for exploratory sets (warn rate only)
    group: str  # what the row was mapped from (functionality, attribute, emotion, sentiment...)


@dataclass(frozen=True)
class PublicSet:
    name: str
    lang: str
    filename: str
    loader: Callable[[Path], list[PublicItem]]
    exploratory: bool
    mapping: str  # one line: how rows map to expected verdicts


_URL_RE = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)


def _read_csv(path: Path, columns: tuple[str, ...]) -> list[dict[str, str]]:
    """The rows of a public set's CSV, which must have every one of `columns`."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as error:
        raise EvalError(f"{path}: cannot read ({error.strerror or error})") from None
    if rows and (missing := [c for c in columns if c not in rows[0]]):
        raise EvalError(f"{path}: missing column(s) {', '.join(missing)}")
    return rows


def load_brand_replies(path: Path) -> list[PublicItem]:
    """label=agent rows (real published brand replies) -> not warn; URLs stripped. client rows unused."""
    rows = _read_csv(path, ("text", "label"))
    items = []
    for row in rows:
        if row["label"].strip() == "agent":
            text = re.sub(r"\s+", " ", _URL_RE.sub(" ", row["text"])).strip()
            if text:
                items.append(PublicItem(text, NOT_WARN, "agent"))
    return items


UCC_WARN_ATTRIBUTES = ("hostile", "antagonize", "condescending", "dismissive", "sarcastic")
UCC_MIN_CONFIDENCE = 0.6


def _float(value: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def load_ucc(path: Path) -> list[PublicItem]:
    """Any of hostile/antagonize/condescending/dismissive/sarcastic = 1 with confidence >= 0.6 -> warn
    (group: the first such attribute); label=healthy with no attribute at all -> not warn; others unused."""
    rows = _read_csv(path, ("text", "label", "attributes") + UCC_WARN_ATTRIBUTES
                     + tuple(f"{a}_confidence" for a in UCC_WARN_ATTRIBUTES))
    items = []
    for row in rows:
        strong = [a for a in UCC_WARN_ATTRIBUTES
                  if row[a].strip() == "1" and _float(row[f"{a}_confidence"]) >= UCC_MIN_CONFIDENCE]
        if strong:
            items.append(PublicItem(row["text"], WARN, strong[0]))
        elif row["label"].strip() == "healthy" and not row["attributes"].strip():
            items.append(PublicItem(row["text"], NOT_WARN, "healthy"))
    return items


MHC_NOT_WARN = ("ident_pos_nh", "ident_neutral_nh")


def mhc_expected(functionality: str) -> str | None:
    """derog_*_h, threat_*_h, slur_h, profanity_h, target_indiv_nh -> warn;
    ident_pos_nh, ident_neutral_nh -> not warn; every other functionality is not used."""
    f = functionality.strip()
    if (f.startswith("derog_") and f.endswith("_h")) or (f.startswith("threat_") and f.endswith("_h")) \
            or f in ("slur_h", "profanity_h", "target_indiv_nh"):
        return WARN
    if f in MHC_NOT_WARN:
        return NOT_WARN
    return None


def load_mhc(path: Path) -> list[PublicItem]:
    rows = _read_csv(path, ("text", "functionality"))
    items = []
    for row in rows:
        expected = mhc_expected(row["functionality"])
        if expected:
            items.append(PublicItem(row["text"], expected, row["functionality"].strip()))
    return items


GOEMOTIONS_CALM = frozenset({"gratitude", "caring", "approval"})


def _labels(value: str) -> set[str]:
    return {part.strip() for part in value.split(",") if part.strip()}


def load_goemotions(path: Path) -> list[PublicItem]:
    """anger among the labels -> warn; only gratitude/caring/approval (one or more) -> not warn."""
    rows = _read_csv(path, ("text", "label"))
    items = []
    for row in rows:
        labels = _labels(row["label"])
        if "anger" in labels:
            items.append(PublicItem(row["text"], WARN, "anger"))
        elif labels and labels <= GOEMOTIONS_CALM:
            items.append(PublicItem(row["text"], NOT_WARN, "+".join(sorted(labels))))
    return items


def load_xed(path: Path) -> list[PublicItem]:
    """Exploratory: every line, grouped as anger (has anger), joy/trust (only joy and/or trust), other."""
    rows = _read_csv(path, ("text", "label"))
    items = []
    for row in rows:
        labels = _labels(row["label"])
        group = "anger" if "anger" in labels else "joy/trust" if labels and labels <= {"joy", "trust"} else "other"
        items.append(PublicItem(row["text"], None, group))
    return items


def load_twcs(path: Path) -> list[PublicItem]:
    """Exploratory: customer tweets grouped by their sentiment label (negative/neutral/positive)."""
    rows = _read_csv(path, ("text", "label"))
    return [PublicItem(row["text"], None, row["label"].strip() or "?") for row in rows]


PUBLIC_SETS: tuple[PublicSet, ...] = (
    PublicSet("brand_replies_en", "en", "brand_replies_en.csv", load_brand_replies, False,
              "label=agent -> not warn (URLs stripped)"),
    PublicSet("ucc_en", "en", "ucc_test.csv", load_ucc, False,
              "hostile/antagonize/condescending/dismissive/sarcastic conf>=0.6 -> warn; healthy, no attribute -> not warn"),
    PublicSet("mhc_dutch", "nl", "mhc_dutch.csv", load_mhc, False,
              "derog_*_h threat_*_h slur_h profanity_h target_indiv_nh -> warn; ident_pos_nh ident_neutral_nh -> not warn"),
    PublicSet("goemotions_en", "en", "goemotions_test.csv", load_goemotions, False,
              "anger -> warn; gratitude/caring/approval alone -> not warn"),
    PublicSet("xed_dutch", "nl", "xed_nl_projections.csv", load_xed, True,
              "exploratory: warn rate for anger / joy+trust / other lines"),
    PublicSet("twcs_amazonhelp_sentiment_en", "en", "amazonhelp_customer_sentiment.csv", load_twcs, True,
              "exploratory: warn rate per customer sentiment"),
)


def public_set(name: str) -> PublicSet:
    for spec in PUBLIC_SETS:
        if spec.name == name:
            return spec
    raise KeyError(name)


def load_public_set(spec: PublicSet, directory: str | Path) -> list[PublicItem]:
    return spec.loader(Path(directory) / spec.name / spec.filename)


def sample_items(items: list[PublicItem], per_class: int | None) -> list[PublicItem]:
    """Deterministic sample: per expected class (per group for exploratory sets) the `per_class`
    items with the smallest SHA-1 of their text. None or 0 keeps everything. Order is kept."""
    if not per_class:
        return list(items)
    classes: dict[str, list[tuple[str, int]]] = {}
    for index, item in enumerate(items):
        key = item.expected if item.expected is not None else item.group
        digest = hashlib.sha1(item.text.encode("utf-8")).hexdigest()
        classes.setdefault(key, []).append((digest, index))
    keep = set()
    for members in classes.values():
        keep.update(index for _, index in sorted(members)[:per_class])
    return [item for index, item in enumerate(items) if index in keep]


@dataclass
class GroupScore:
    n: int = 0
    warned: int = 0

    warn_rate = _share("warned", "n")


@dataclass
class PublicResult:
    name: str
    lang: str
    exploratory: bool
    mapping: str
    available: int  # rows mapped to an expectation (or all rows, exploratory)
    sampled: int
    expect_warn: int = 0
    expect_warn_warned: int = 0
    expect_ok: int = 0
    expect_ok_warned: int = 0
    groups: dict[str, GroupScore] = field(default_factory=dict)
    false_warn_rules: dict[str, int] = field(default_factory=dict)  # rule id -> warns on expected-not-warn rows
    failures: int = 0
    seconds: float = 0.0
    missing: str | None = None  # why the set could not be run

    recall = _share("expect_warn_warned", "expect_warn")
    false_warning_rate = _share("expect_ok_warned", "expect_ok")

    @property
    def warn_rate(self) -> float | None:
        return _ratio(sum(g.warned for g in self.groups.values()), sum(g.n for g in self.groups.values()))

    def to_json(self) -> dict:
        return {
            "name": self.name, "lang": self.lang, "exploratory": self.exploratory, "mapping": self.mapping,
            "available": self.available, "sampled": self.sampled, "missing": self.missing,
            "expect_warn": self.expect_warn, "expect_warn_warned": self.expect_warn_warned, "recall": self.recall,
            "expect_ok": self.expect_ok, "expect_ok_warned": self.expect_ok_warned,
            "false_warning_rate": self.false_warning_rate, "warn_rate": self.warn_rate,
            "groups": {g: {"n": s.n, "warned": s.warned, "warn_rate": s.warn_rate} for g, s in sorted(self.groups.items())},
            "false_warn_rules": dict(sorted(self.false_warn_rules.items(), key=lambda kv: (-kv[1], kv[0]))),
            "analysis_failures": self.failures, "seconds": round(self.seconds, 3),
        }


def evaluate_items(spec: PublicSet, items: list[PublicItem], available: int,
                   analyzer: Analyzer | None = None) -> PublicResult:
    analyzer = analyzer or toontje_analyzer
    result = PublicResult(spec.name, spec.lang, spec.exploratory, spec.mapping, available, len(items))
    started = time.perf_counter()
    for item in items:
        try:
            verdict, _, rules = _unpack(analyzer(item.text, spec.lang, None))
        except Exception:  # counted, never shown: the text must not leak into output
            result.failures += 1
            verdict, rules = "error", ()
        warned = verdict == "warn"
        group = result.groups.setdefault(item.group, GroupScore())
        group.n += 1
        group.warned += warned
        if item.expected == WARN:
            result.expect_warn += 1
            result.expect_warn_warned += warned
        elif item.expected == NOT_WARN:
            result.expect_ok += 1
            result.expect_ok_warned += warned
            for rule in rules if warned else ():
                result.false_warn_rules[rule] = result.false_warn_rules.get(rule, 0) + 1
    result.seconds = time.perf_counter() - started
    return result


def evaluate_public_set(spec: PublicSet, directory: str | Path, per_class: int | None = DEFAULT_SAMPLE,
                        analyzer: Analyzer | None = None) -> PublicResult:
    path = Path(directory) / spec.name / spec.filename
    if not path.is_file():
        return PublicResult(spec.name, spec.lang, spec.exploratory, spec.mapping, 0, 0, missing=f"{path} not found")
    items = load_public_set(spec, directory)
    return evaluate_items(spec, sample_items(items, per_class), len(items), analyzer)


def evaluate_public(directory: str | Path | None = None, per_class: int | None = DEFAULT_SAMPLE,
                    analyzer: Analyzer | None = None, names: Iterable[str] | None = None) -> list[PublicResult]:
    directory = Path(directory) if directory else DEFAULT_PUBLIC_DIR
    specs = [public_set(n) for n in names] if names else list(PUBLIC_SETS)
    return [evaluate_public_set(spec, directory, per_class, analyzer) for spec in specs]


# --------------------------------------------------------------------------------------------
# formatting


def _fmt(value: float | None) -> str:
    return "  -  " if value is None else f"{value:.3f}"


def format_file_result(result: FileResult, show_errors: bool = False) -> str:
    lines = [f"{result.path}: {result.overall.n} replies, {result.seconds:.2f} s"]
    lines.append(f"  {'lang':<5}{'n':>5}{'risky':>7}{'recall':>8}{'ok':>6}{'false-warn':>11}"
                 f"{'precision':>10}{'traps':>7}{'trap-fw':>9}")
    for scores in [*result.by_lang.values(), result.overall]:
        lines.append(f"  {scores.lang:<5}{scores.n:>5}{scores.risky:>7}{_fmt(scores.recall):>8}{scores.ok:>6}"
                     f"{_fmt(scores.false_warning_rate):>11}{_fmt(scores.precision):>10}{scores.traps:>7}"
                     f"{_fmt(scores.trap_false_warning_rate):>9}")
    lines.append("  recall per category (warned/risky; 'named' = a warn finding of that category):")
    for scores in result.by_lang.values():
        parts = []
        for category in WARN_CATEGORIES + tuple(sorted(set(scores.categories) - set(WARN_CATEGORIES))):
            score = scores.categories.get(category)
            if score:
                parts.append(f"{category} {score.warned}/{score.total} (named {score.named})")
        lines.append(f"    {scores.lang}: " + ("; ".join(parts) or "no risky rows"))
    if result.language_mismatches is not None:
        wrong = result.language_mismatches
        lines.append(f"  language detection: {result.overall.n - len(wrong)}/{result.overall.n} agree with the label"
                     + (": differs on " + ", ".join(f"{rid}->{lang}" for rid, lang in wrong[:12])
                        + (" ..." if len(wrong) > 12 else "") if wrong else ""))
    if result.failures:
        lines.append(f"  ANALYSIS FAILED on {len(result.failures)} row(s): "
                     + ", ".join(f"{rid} ({err})" for rid, err in result.failures[:10]))
    if show_errors:
        errors = result.errors
        lines.append(f"  misclassified: {len(errors)}")
        for p in errors:
            kind = "missed" if p.row.label == "risky" else "false warn" + (" (trap)" if p.row.trap else "")
            expected = ",".join(p.row.categories) or "-"
            found = ",".join(p.warn_categories) or "-"
            if p.warn_rules:
                found += f" [{','.join(p.warn_rules)}]"
            lines.append(f"    {p.row.id:<10} {kind:<17} labelled {expected} | found {found} | {p.row.text}")
    return "\n".join(lines)


def format_public_results(results: list[PublicResult], directory: str | Path | None = None,
                          per_class: int | None = DEFAULT_SAMPLE) -> str:
    sample = f"sample: up to {per_class} rows per expected class (lowest SHA-1 of text)" if per_class \
        else "all rows"
    lines = [f"public sets in {directory or DEFAULT_PUBLIC_DIR} ({sample}; figures only, text never shown)"]
    lines.append(f"  {'set':<30}{'lang':<5}{'used/mapped':>13}{'warn-exp':>10}{'recall':>8}"
                 f"{'ok-exp':>8}{'false-warn':>11}{'warn-rate':>10}{'secs':>7}")
    for r in results:
        if r.missing:
            lines.append(f"  {r.name:<30}{r.lang:<5} skipped: {r.missing}")
            continue
        lines.append(f"  {r.name:<30}{r.lang:<5}{f'{r.sampled}/{r.available}':>13}{r.expect_warn or '':>10}"
                     f"{_fmt(r.recall) if r.expect_warn else '':>8}{r.expect_ok or '':>8}"
                     f"{_fmt(r.false_warning_rate) if r.expect_ok else '':>11}{_fmt(r.warn_rate):>10}{r.seconds:>7.1f}")
        if r.exploratory:
            lines.append("      warn rate by group: " + "; ".join(
                f"{g} {_fmt(s.warn_rate)} (n={s.n})" for g, s in sorted(r.groups.items())))
        if r.false_warn_rules:
            top = sorted(r.false_warn_rules.items(), key=lambda kv: (-kv[1], kv[0]))[:6]
            lines.append("      false warnings by rule: " + ", ".join(f"{rule} {n}" for rule, n in top))
        if r.failures:
            lines.append(f"      ANALYSIS FAILED on {r.failures} row(s)")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# command line


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds the `toontje eval` arguments to `parser` (a subparser in cli.py) and sets `run`."""
    parser.add_argument("files", nargs="*", metavar="FILE",
                        help="labelled JSONL file(s), e.g. tests/eval/holdout.jsonl")
    parser.add_argument("--public", nargs="?", const=str(DEFAULT_PUBLIC_DIR), default=None, metavar="DIR",
                        help=f"also run the public sets (default DIR: {DEFAULT_PUBLIC_DIR})")
    parser.add_argument("--sample", type=int, default=DEFAULT_SAMPLE, metavar="N",
                        help=f"public sets: at most N rows per expected class, deterministic "
                             f"(default {DEFAULT_SAMPLE}; 0 = all rows)")
    parser.add_argument("--auto-lang", action="store_true",
                        help="own files: let toontje detect each reply's language instead of using its label")
    parser.add_argument("--show-errors", action="store_true",
                        help="list misclassified ids and texts (own files only)")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Runs `toontje eval` with parsed arguments; returns the exit code (0, or 2 on unreadable input)."""
    if not args.files and args.public is None:
        print("toontje eval: error: give at least one FILE or --public", file=sys.stderr)
        return 2
    try:
        analyzer = auto_language_analyzer if args.auto_lang else toontje_analyzer
        file_results = [evaluate_file(path, analyzer, check_language=True) for path in args.files]
    except EvalError as error:
        print(f"toontje eval: error: {error}", file=sys.stderr)
        return 2
    public_results: list[PublicResult] = []
    if args.public is not None:
        if not Path(args.public).is_dir():
            print(f"toontje eval: error: public data folder {args.public} not found", file=sys.stderr)
            return 2
        try:
            public_results = evaluate_public(args.public, args.sample or None)
        except EvalError as error:
            print(f"toontje eval: error: {error}", file=sys.stderr)
            return 2
    try:
        _print_results(args, file_results, public_results)
    except BrokenPipeError:  # `toontje eval ... | head`
        sys.stdout = open(os.devnull, "w")
    return 0


def _print_results(args: argparse.Namespace, file_results: list[FileResult], public_results: list[PublicResult]) -> None:
    if args.json:
        document = {"files": [r.to_json(args.show_errors) for r in file_results]}
        if args.public is not None:
            document["public"] = {"dir": args.public, "sample_per_class": args.sample or None,
                                  "sets": [r.to_json() for r in public_results]}
        print(json.dumps(document, ensure_ascii=False, indent=2))
    else:
        blocks = [format_file_result(r, args.show_errors) for r in file_results]
        if args.public is not None:
            blocks.append(format_public_results(public_results, args.public, args.sample or None))
        print("\n\n".join(blocks))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="toontje eval",
                                     description="Measure the warn verdict on labelled replies and public sets.")
    add_arguments(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    """`toontje eval ...` as a standalone entry point (argv without the 'eval' word)."""
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
