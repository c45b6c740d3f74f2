"""Cross-validation figures for the learned escalation detector (toontje.learned).

Prints, per language:
1. k-fold cross-validation on the catalogue examples (the detector's training data):
   accuracy at 0.5, ROC AUC, and recall of escalating examples at thresholds chosen so that
   few calm examples score above them.
2. The detector as an addition to the rules on the labelled sets the rules may be tuned on
   (tests/eval/dev.jsonl + holdout.jsonl), which the detector is NOT trained on: recall and
   false-warning rate of the combined verdict per threshold, next to the rules alone.
3. The same with the detector also trained on one labelled set and measured on the other
   (does training on the eval files help?).

Run: python tests/benchmarks/learned_cv.py [--folds 5]
Never run on the blind sets (holdout2, fresh): those are measured only with `toontje eval`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from toontje import LANGUAGES, learned
from toontje.analysis import Context, Document, analyze

EVAL_DIR = Path(__file__).resolve().parents[1] / "eval"
THRESHOLDS = (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.93, 0.95, 0.97)


def auc(scores_pos: list[float], scores_neg: list[float]) -> float:
    pairs = 0.0
    for p in scores_pos:
        for n in scores_neg:
            pairs += 1.0 if p > n else 0.5 if p == n else 0.0
    return pairs / (len(scores_pos) * len(scores_neg))


def cross_validate(lang: str, folds: int) -> dict:
    rows = learned.catalogue_examples(lang)
    featured = [(learned.text_features(text), label, category) for text, label, category in rows]
    pos_scores, neg_scores, correct, category_hits, category_total = [], [], 0, 0, 0
    for fold in range(folds):
        train = [row for i, row in enumerate(featured) if i % folds != fold]
        test = [row for i, row in enumerate(featured) if i % folds == fold]
        model = learned.train(train)
        for found, label, category in test:
            p = model.probability(found)
            (pos_scores if label else neg_scores).append(p)
            correct += (p >= 0.5) == bool(label)
            if label:
                category_total += 1
                category_hits += model.category(found) == category
    result = {"n": len(rows), "escalating": len(pos_scores), "calm": len(neg_scores),
              "accuracy@0.5": correct / len(rows), "auc": auc(pos_scores, neg_scores),
              "category_accuracy": category_hits / max(1, category_total)}
    for t in THRESHOLDS:
        result[f"t={t}"] = (sum(p >= t for p in pos_scores) / len(pos_scores),
                            sum(p >= t for p in neg_scores) / len(neg_scores))
    return result


def load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def reply_scores(row: dict, model: learned.Model) -> tuple[bool, float]:
    """(rules warn, highest detector probability over sentences without a rule's warn finding)."""
    context = row.get("context") or {}
    result = analyze(row["text"], row["lang"], Context(context.get("comment"), context.get("author")))
    warned = [(f.start, f.end) for f in result.findings if f.severity == "warn"]
    doc = Document(row["text"], row["lang"])
    best = 0.0
    for sentence in doc.sentences:
        if any(start < sentence.end and sentence.start < end for start, end in warned):
            continue
        found = learned.features(learned.sentence_terms(sentence.tokens, doc.is_hidden))
        if not found:
            continue
        best = max(best, model.probability(found))
    return result.verdict == "warn", best


def combined_table(rows: list[dict], models: dict[str, learned.Model], title: str) -> None:
    print(f"\n{title}")
    for lang in LANGUAGES:
        scored = [(row["label"], *reply_scores(row, models[lang])) for row in rows if row["lang"] == lang]
        risky = [s for s in scored if s[0] == "risky"]
        ok = [s for s in scored if s[0] == "ok"]
        base_recall = sum(w for _, w, _ in risky) / len(risky)
        base_fw = sum(w for _, w, _ in ok) / len(ok)
        print(f"  {lang}: n={len(scored)} risky={len(risky)} ok={len(ok)}  rules alone: recall {base_recall:.3f}  "
              f"false warnings {base_fw:.3f}")
        for t in THRESHOLDS:
            recall = sum(w or p >= t for _, w, p in risky) / len(risky)
            fw = sum(w or p >= t for _, w, p in ok) / len(ok)
            print(f"     t={t:<5} recall {recall:.3f} ({recall - base_recall:+.3f})  false warnings {fw:.3f} "
                  f"({fw - base_fw:+.3f})")


def eval_examples(rows: list[dict]) -> list[tuple[frozenset[str], int, str | None]]:
    featured = []
    for row in rows:
        if row["label"] == "risky":
            category = row["categories"][0] if row.get("categories") else None
            featured.append((learned.text_features(row["text"]), 1, category))
        else:
            featured.append((learned.text_features(row["text"]), 0, None))
    return featured


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args(argv)
    for lang in LANGUAGES:
        started = time.perf_counter()
        learned.model.cache_clear()
        learned.model(lang)
        seconds = time.perf_counter() - started
        figures = cross_validate(lang, args.folds)
        print(f"{lang}: training from the catalogue {seconds * 1000:.0f} ms; {args.folds}-fold CV on "
              f"{figures['n']} examples ({figures['escalating']} escalating, {figures['calm']} calm)")
        print(f"  accuracy@0.5 {figures['accuracy@0.5']:.3f}  AUC {figures['auc']:.3f}  "
              f"category accuracy {figures['category_accuracy']:.3f}")
        for t in THRESHOLDS:
            tpr, fpr = figures[f"t={t}"]
            print(f"  t={t:<5} escalating caught {tpr:.3f}  calm flagged {fpr:.3f}")
    dev, holdout = load(EVAL_DIR / "dev.jsonl"), load(EVAL_DIR / "holdout.jsonl")
    catalogue_models = {lang: learned.model(lang) for lang in LANGUAGES}
    combined_table(dev + holdout, catalogue_models, "Rules + detector (trained on the catalogue) on dev + holdout:")
    for train_rows, test_rows, name in ((dev, holdout, "dev -> holdout"), (holdout, dev, "holdout -> dev")):
        models = {}
        for lang in LANGUAGES:
            rows = [(learned.text_features(t), l, c) for t, l, c in learned.catalogue_examples(lang)]
            models[lang] = learned.train(rows + eval_examples([r for r in train_rows if r["lang"] == lang]))
        combined_table(test_rows, models, f"Rules + detector trained on catalogue + {name}:")
        combined_table(test_rows, catalogue_models, f"  (catalogue only, same test rows: {name.split(' -> ')[1]})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
