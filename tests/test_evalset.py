"""Integrity of the labelled sets in tests/eval/ (format in tests/eval/README.md)."""

import json
import re
from collections import Counter
from pathlib import Path

import pytest

EVAL_DIR = Path(__file__).parent / "eval"
SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SETS = {name: EVAL_DIR / f"{name}.jsonl" for name in ("dev", "holdout", "holdout2", "holdout3", "holdout4", "holdout5", "holdout6")}
# The letter in each set's row ids: nl-d-001 (dev), nl-h-001 (holdout), nl-b-001 (holdout2), nl-c-001 (holdout3),
# nl-e-001 (holdout4), nl-f-001 (holdout5), nl-g-001 (holdout6).
ID_LETTERS = {"dev": "d", "holdout": "h", "holdout2": "b", "holdout3": "c", "holdout4": "e", "holdout5": "f", "holdout6": "g"}
HELD_OUT = ("holdout", "holdout2", "holdout3", "holdout4", "holdout5", "holdout6")

WARN_CATEGORIES = {"argumentative", "attacking", "defensive", "impatient", "dismissive", "emotional"}
REVIEW_CATEGORIES = {"missing-name", "missing-empathy", "missing-private-channel", "cliche",
                     "register-mismatch", "empty-promise", "missing-thanks"}
REQUIRED = {"id": str, "lang": str, "label": str, "categories": list, "trap": bool, "text": str}
ALLOWED_KEYS = set(REQUIRED) | {"context"}


def load(path):
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        assert line.strip(), f"{path.name}:{number}: empty line"
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as error:
            pytest.fail(f"{path.name}:{number}: invalid JSON: {error}")
    return rows


@pytest.fixture(scope="module", params=sorted(SETS))
def labelled(request):
    return request.param, load(SETS[request.param])


def test_rows_have_the_documented_fields(labelled):
    name, rows = labelled
    for row in rows:
        where = f"{name} {row.get('id')}"
        assert set(row) <= ALLOWED_KEYS, f"{where}: unknown keys {set(row) - ALLOWED_KEYS}"
        for key, kind in REQUIRED.items():
            assert isinstance(row.get(key), kind), f"{where}: {key} must be {kind.__name__}"
        assert row["lang"] in ("nl", "en"), where
        assert row["label"] in ("ok", "risky"), where
        assert 0 < len(row["text"].strip()) <= 1000, where
        assert re.fullmatch(rf"{row['lang']}-{ID_LETTERS[name]}-\d{{3,4}}", row["id"]), f"{where}: id pattern"
        if "context" in row:
            context = row["context"]
            assert isinstance(context, dict) and context, where
            assert set(context) <= {"comment", "author"}, where
            assert all(isinstance(v, str) and v.strip() for v in context.values()), where


def test_ids_and_texts_are_unique(labelled):
    name, rows = labelled
    ids = Counter(row["id"] for row in rows)
    assert not [i for i, n in ids.items() if n > 1], f"{name}: duplicate ids"
    texts = Counter(row["text"].strip().lower() for row in rows)
    assert not [t for t, n in texts.items() if n > 1], f"{name}: duplicate texts"


def test_labels_and_categories_agree(labelled):
    name, rows = labelled
    for row in rows:
        where = f"{name} {row['id']}"
        categories = set(row["categories"])
        assert len(categories) == len(row["categories"]), f"{where}: repeated category"
        if row["label"] == "risky":
            assert categories, f"{where}: a risky row names its warn categories"
            assert categories <= WARN_CATEGORIES, f"{where}: {categories - WARN_CATEGORIES}"
            assert not row["trap"], f"{where}: traps are ok replies"
        else:
            assert categories <= REVIEW_CATEGORIES, f"{where}: ok rows carry review categories only"


def test_every_warn_category_in_each_language(labelled):
    name, rows = labelled
    for lang in ("nl", "en"):
        seen = Counter(c for r in rows if r["lang"] == lang and r["label"] == "risky" for c in r["categories"])
        minimum = 8 if name in HELD_OUT else 3
        thin = {c: seen[c] for c in WARN_CATEGORIES if seen[c] < minimum}
        assert not thin, f"{name}/{lang}: too few risky rows for {thin}"


@pytest.mark.parametrize("name", HELD_OUT)
def test_holdout_size_and_composition(name):
    rows = load(SETS[name])
    assert len(rows) >= 300
    traps = sum(r["trap"] for r in rows)
    assert traps * 3 >= len(rows), f"only {traps} traps in {len(rows)} rows"
    langs = Counter(r["lang"] for r in rows)
    assert langs["nl"] / len(rows) >= 0.4 and langs["en"] / len(rows) >= 0.25, langs
    labels = Counter(r["label"] for r in rows)
    assert labels["risky"] >= 100 and labels["ok"] >= 100, labels
    with_context = sum("context" in r for r in rows)
    assert with_context / len(rows) >= 0.25, with_context
    for lang in ("nl", "en"):
        lang_rows = [r for r in rows if r["lang"] == lang]
        assert sum(r["trap"] for r in lang_rows) * 4 >= len(lang_rows), f"{lang}: too few traps"


def test_dev_set_size():
    rows = load(SETS["dev"])
    assert 120 <= len(rows) <= 250
    assert {r["lang"] for r in rows} == {"nl", "en"}


@pytest.mark.parametrize("earlier, later", [(a, b) for i, a in enumerate(SETS) for b in list(SETS)[i + 1:]])
def test_a_later_set_does_not_repeat_an_earlier_one(earlier, later):
    seen = {normalise(r["text"]) for r in load(SETS[earlier])}
    repeated = [r["id"] for r in load(SETS[later]) if normalise(r["text"]) in seen]
    assert not repeated, f"{later} rows also in {earlier}: {repeated}"


def normalise(text):
    return " ".join(re.findall(r"\w+", text.lower()))


def sentences(text):
    return [s for s in re.split(r"(?<=[.!?])\s+|\n+", text) if s.strip()]


@pytest.mark.skipif(not (SHARED / "WEBCARE.md").is_file(), reason="../shared/WEBCARE.md not present")
def test_no_sentence_copied_from_the_spec_or_seeds(labelled):
    name, rows = labelled
    sources = [SHARED / "WEBCARE.md", *sorted((SHARED / "seeds").glob("*.txt"))]
    corpus = " ".join(normalise(p.read_text(encoding="utf-8")) for p in sources)
    copied = []
    for row in rows:
        for sentence in sentences(row["text"]):
            words = normalise(sentence)
            if len(words.split()) >= 5 and f" {words} " in f" {corpus} ":
                copied.append((row["id"], sentence))
    assert not copied, f"{name}: copied from WEBCARE.md/seeds: {copied}"
