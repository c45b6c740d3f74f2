"""The evaluation machinery (toontje.evaluation) and the quality gate on held-out and public data.

The counting tests use a tiny analyzer defined here whose verdicts are known, so every figure
can be computed by hand; the public-set loaders are checked on temporary CSVs in the real
column layout; the quality gate runs the real toontje.analysis.analyze.
"""

import csv
import json
import re
from pathlib import Path

import pytest

from toontje import evaluation as ev

# Quality gates: (minimum recall on risky replies, maximum false-warning rate on ok ones) per set and
# language. Issue 2's targets are recall >= 0.95 and false warnings <= 0.05 on replies the rules were
# not written from, <= 0.03 on real brand replies.
# - dev and holdout to holdout5 have been tuned on (tests/eval/README.md), so they hold the targets
#   (just under the 1.000 they reached, so one odd row does not fail the suite).
# - holdout6 is blind: its recall gate sits just under the figures measured when the catalogue last
#   changed (README, "Evidence"), so a change that loses ground fails; recall is still short of 0.95.
TUNED_RECALL = 0.97
HOLDOUT6_NL_RECALL = 0.60  # measured 0.615 (false warnings 0.025) on 2026-11-23
HOLDOUT6_EN_RECALL = 0.63  # measured 0.652 (false warnings 0.041) on 2026-11-23
GATES = {
    ("dev", "nl"): (0.95, 0.05), ("dev", "en"): (0.95, 0.05),
    ("holdout", "nl"): (0.95, 0.05), ("holdout", "en"): (0.95, 0.05),
    ("holdout2", "nl"): (TUNED_RECALL, 0.05), ("holdout2", "en"): (TUNED_RECALL, 0.05),
    ("holdout3", "nl"): (TUNED_RECALL, 0.05), ("holdout3", "en"): (TUNED_RECALL, 0.05),
    ("holdout4", "nl"): (TUNED_RECALL, 0.05), ("holdout4", "en"): (TUNED_RECALL, 0.05),
    ("holdout5", "nl"): (TUNED_RECALL, 0.05), ("holdout5", "en"): (TUNED_RECALL, 0.05),
    ("holdout6", "nl"): (HOLDOUT6_NL_RECALL, 0.05), ("holdout6", "en"): (HOLDOUT6_EN_RECALL, 0.05),
}
BRAND_MAX_FALSE_WARN = 0.03

EVAL_DIR = Path(__file__).parent / "eval"
PUBLIC_DIR = ev.DEFAULT_PUBLIC_DIR


def keyword_analyzer(text, lang, context):
    """Warns on 'WARN-<category>' markers; raises on 'CRASH'. Known behaviour, for counting."""
    if "CRASH" in text:
        raise RuntimeError("boom")
    categories = frozenset(re.findall(r"WARN-([a-z]+)", text))
    if categories:
        return "warn", categories
    return ("review" if "REVIEW" in text else "ok"), frozenset()


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def row(id_, lang, label, text, categories=(), trap=False, context=None):
    data = {"id": id_, "lang": lang, "label": label, "categories": list(categories), "trap": trap, "text": text}
    if context:
        data["context"] = context
    return data


TINY = [
    row("nl-1", "nl", "risky", "WARN-impatient zoals ik al zei", ["impatient"]),
    row("nl-2", "nl", "risky", "WARN-attacking stil", ["argumentative"]),  # warned, but under another category
    row("nl-3", "nl", "risky", "gemist", ["argumentative", "defensive"]),  # missed
    row("nl-4", "nl", "ok", "WARN-emotional helaas", trap=True),  # false warning on a trap
    row("nl-5", "nl", "ok", "REVIEW prima", ["missing-name"], context={"author": "Sanne"}),  # review is fine
    row("nl-6", "nl", "ok", "dank je wel", trap=True),
    row("en-1", "en", "risky", "WARN-dismissive tough luck", ["dismissive"]),
    row("en-2", "en", "ok", "WARN-emotional great!!"),  # false warning, not a trap
    row("en-3", "en", "ok", "no problem at all", trap=True),
    row("en-4", "en", "ok", "thanks"),
]


@pytest.fixture
def tiny_file(tmp_path):
    return write_jsonl(tmp_path / "tiny.jsonl", TINY)


def test_counts_per_language_on_a_file_with_known_answers(tiny_file):
    result = ev.evaluate_file(tiny_file, keyword_analyzer)
    nl, en, everything = result.by_lang["nl"], result.by_lang["en"], result.overall
    assert list(result.by_lang) == ["nl", "en"]
    assert (nl.n, nl.risky, nl.risky_warned, nl.ok, nl.ok_warned, nl.traps, nl.traps_warned) == (6, 3, 2, 3, 1, 2, 1)
    assert nl.recall == pytest.approx(2 / 3)
    assert nl.false_warning_rate == pytest.approx(1 / 3)
    assert nl.precision == pytest.approx(2 / 3)
    assert nl.trap_false_warning_rate == pytest.approx(1 / 2)
    assert (en.n, en.risky_warned, en.ok, en.ok_warned, en.traps, en.traps_warned) == (4, 1, 3, 1, 1, 0)
    assert en.recall == 1.0 and en.false_warning_rate == pytest.approx(1 / 3) and en.precision == 0.5
    assert en.trap_false_warning_rate == 0.0
    assert (everything.n, everything.recall, everything.false_warning_rate) == (10, 0.75, pytest.approx(2 / 6))

    argumentative = nl.categories["argumentative"]
    assert (argumentative.total, argumentative.warned, argumentative.named) == (2, 1, 0)
    assert (nl.categories["impatient"].warned, nl.categories["impatient"].named) == (1, 1)
    assert nl.categories["defensive"].recall == 0.0
    assert "missing-name" not in nl.categories  # ok rows do not count towards category recall
    assert sorted(p.row.id for p in result.errors) == ["en-2", "nl-3", "nl-4"]


def test_rates_are_none_without_rows():
    result = ev.evaluate_rows([ev.Row("x", "en", "ok", (), False, "fine")], keyword_analyzer)
    assert result.by_lang["en"].recall is None and result.by_lang["en"].precision is None
    assert "  -  " in ev.format_file_result(result)


def test_the_context_reaches_the_analyzer(tmp_path):
    seen = []

    def recording(text, lang, context):
        seen.append((lang, context))
        return "ok", frozenset()

    ev.evaluate_file(write_jsonl(tmp_path / "c.jsonl", TINY), recording)
    assert seen[4] == ("nl", {"author": "Sanne"}) and seen[0] == ("nl", None)


def test_a_crashing_analysis_is_reported_not_hidden(tmp_path):
    path = write_jsonl(tmp_path / "crash.jsonl", [row("nl-1", "nl", "risky", "CRASH", ["emotional"]), *TINY[1:3]])
    result = ev.evaluate_file(path, keyword_analyzer)
    assert result.failures == [("nl-1", "RuntimeError: boom")]
    assert result.by_lang["nl"].risky_warned == 1
    assert "ANALYSIS FAILED" in ev.format_file_result(result)


@pytest.mark.parametrize("line, message", [
    ("{not json", "invalid JSON"),
    ('{"id": "a", "lang": "nl", "label": "maybe", "text": "x"}', "label must be"),
    ('{"id": "a", "lang": "nl", "label": "ok"}', "'text'"),
    ('{"id": "a", "lang": "nl", "label": "ok", "text": "x", "context": "Sanne"}', "context"),
])
def test_malformed_files_say_which_line(tmp_path, line, message):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "ok-1", "lang": "en", "label": "ok", "text": "fine"}\n' + line + "\n", encoding="utf-8")
    with pytest.raises(ev.EvalError, match=re.escape(message)) as info:
        ev.load_labelled(path)
    assert "bad.jsonl:2" in str(info.value)


def test_show_errors_lists_ids_and_texts_of_our_own_files(tiny_file):
    text = ev.format_file_result(ev.evaluate_file(tiny_file, keyword_analyzer), show_errors=True)
    assert "misclassified: 3" in text
    assert "nl-3" in text and "gemist" in text and "false warn (trap)" in text
    assert "nl-1" not in text.split("misclassified")[1]


# --- public-set loaders on temporary CSVs in the real column layout ---------------------------

SECRET = "SECRET-TEXT-{}"  # public text must never appear in any output


def write_csv(directory, spec_name, columns, rows):
    spec = ev.public_set(spec_name)
    folder = directory / spec.name
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / spec.filename).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for number, values in enumerate(rows):
            writer.writerow({"text": SECRET.format(number), **values})
    return spec


def loaded(directory, name):
    return [(item.expected, item.group) for item in ev.load_public_set(ev.public_set(name), directory)]


def test_brand_replies_agent_rows_only_and_urls_stripped(tmp_path):
    columns = ["text", "label", "brand", "source", "orig_field", "conv_id", "tweet_id"]
    spec = write_csv(tmp_path, "brand_replies_en", columns, [
        {"label": "agent", "brand": "b"}, {"label": "client", "brand": "b"}, {"label": "agent", "brand": "c"}])
    path = tmp_path / spec.name / spec.filename
    content = path.read_text(encoding="utf-8").replace("SECRET-TEXT-2", "Sorry! See https://example.com/x?a=1 www.a.b")
    path.write_text(content, encoding="utf-8")
    items = ev.load_public_set(spec, tmp_path)
    assert [(i.expected, i.group) for i in items] == [(ev.NOT_WARN, "agent")] * 2
    assert items[1].text == "Sorry! See"


UCC_COLUMNS = ["text", "label", "attributes"] + [
    c for a in ("antagonize", "condescending", "dismissive", "generalisation", "generalisation_unfair",
                "hostile", "sarcastic", "healthy") for c in (a, f"{a}_confidence")] + ["trusted_judgments", "unit_id"]


def ucc_row(label, **attributes):
    values = {"label": label, "attributes": ",".join(a for a, (v, _) in attributes.items() if v)}
    for name in ("antagonize", "condescending", "dismissive", "generalisation", "generalisation_unfair",
                 "hostile", "sarcastic"):
        value, confidence = attributes.get(name, (0, 1.0))
        values[name], values[f"{name}_confidence"] = str(value), str(confidence)
    values.update(healthy="1" if label == "healthy" else "0", healthy_confidence="1.0", trusted_judgments="3", unit_id="1")
    return values


def test_ucc_mapping(tmp_path):
    write_csv(tmp_path, "ucc_en", UCC_COLUMNS, [
        ucc_row("unhealthy", hostile=(1, 0.6)),  # warn: exactly the threshold
        ucc_row("unhealthy", sarcastic=(1, 0.59)),  # confidence too low: not used
        ucc_row("healthy"),  # not warn
        ucc_row("healthy", condescending=(1, 0.67)),  # attribute wins: warn
        ucc_row("healthy", generalisation=(1, 1.0)),  # healthy but with an attribute: not used
        ucc_row("unhealthy"),  # unhealthy, no attribute: not used
        ucc_row("unhealthy", dismissive=(1, 1.0), antagonize=(1, 0.7)),
    ])
    assert loaded(tmp_path, "ucc_en") == [(ev.WARN, "hostile"), (ev.NOT_WARN, "healthy"),
                                          (ev.WARN, "condescending"), (ev.WARN, "antagonize")]


def test_mhc_mapping(tmp_path):
    functionalities = ["derog_neg_emote_h", "threat_dir_h", "threat_norm_h", "slur_h", "profanity_h",
                       "target_indiv_nh", "ident_pos_nh", "ident_neutral_nh", "profanity_nh", "negate_neg_nh",
                       "counter_quote_nh", "spell_leet_h", "target_obj_nh", "derog_dehum_h"]
    columns = ["text", "label", "functionality", "target_ident", "label_annotated_maj", "disagreement_in_case",
               "mhc_case_id"]
    write_csv(tmp_path, "mhc_dutch", columns, [{"label": "x", "functionality": f} for f in functionalities])
    assert loaded(tmp_path, "mhc_dutch") == [
        (ev.WARN, "derog_neg_emote_h"), (ev.WARN, "threat_dir_h"), (ev.WARN, "threat_norm_h"), (ev.WARN, "slur_h"),
        (ev.WARN, "profanity_h"), (ev.WARN, "target_indiv_nh"), (ev.NOT_WARN, "ident_pos_nh"),
        (ev.NOT_WARN, "ident_neutral_nh"), (ev.WARN, "derog_dehum_h")]


def test_goemotions_mapping(tmp_path):
    labels = ["anger", "anger,joy", "gratitude", "caring,gratitude", "approval", "gratitude,joy", "neutral",
              "annoyance", "disgust,anger"]
    write_csv(tmp_path, "goemotions_en", ["text", "label", "label_ids", "comment_id"],
              [{"label": label, "label_ids": "0", "comment_id": "c"} for label in labels])
    assert loaded(tmp_path, "goemotions_en") == [
        (ev.WARN, "anger"), (ev.WARN, "anger"), (ev.NOT_WARN, "gratitude"), (ev.NOT_WARN, "caring+gratitude"),
        (ev.NOT_WARN, "approval"), (ev.WARN, "anger")]


def test_exploratory_sets_have_no_expectation(tmp_path):
    write_csv(tmp_path, "xed_dutch", ["text", "label", "label_ids"],
              [{"label": "anger,fear"}, {"label": "joy"}, {"label": "trust,joy"}, {"label": "sadness"}])
    write_csv(tmp_path, "twcs_amazonhelp_sentiment_en", ["text", "label", "tweet_id"],
              [{"label": "negative"}, {"label": "positive"}])
    assert loaded(tmp_path, "xed_dutch") == [(None, "anger"), (None, "joy/trust"), (None, "joy/trust"), (None, "other")]
    assert loaded(tmp_path, "twcs_amazonhelp_sentiment_en") == [(None, "negative"), (None, "positive")]


def test_a_missing_column_is_an_error(tmp_path):
    write_csv(tmp_path, "goemotions_en", ["text", "emotion"], [{"emotion": "anger"}])
    with pytest.raises(ev.EvalError, match="missing column"):
        ev.load_public_set(ev.public_set("goemotions_en"), tmp_path)


def test_sample_is_deterministic_capped_per_class_and_order_free():
    items = [ev.PublicItem(f"t{i}", ev.WARN if i % 3 else ev.NOT_WARN, "g") for i in range(30)]
    sample = ev.sample_items(items, 5)
    assert sum(i.expected == ev.WARN for i in sample) == 5 and sum(i.expected == ev.NOT_WARN for i in sample) == 5
    assert {i.text for i in ev.sample_items(list(reversed(items)), 5)} == {i.text for i in sample}
    assert ev.sample_items(items, None) == items and len(ev.sample_items(items, 100)) == 30


def test_public_figures_and_no_public_text_in_any_output(tmp_path, capsys):
    write_csv(tmp_path, "goemotions_en", ["text", "label", "label_ids", "comment_id"],
              [{"label": lab} for lab in ["anger", "anger", "anger", "gratitude", "caring", "approval", "joy"]])
    spec = ev.public_set("goemotions_en")
    path = tmp_path / spec.name / spec.filename
    text = path.read_text(encoding="utf-8").replace("SECRET-TEXT-0", "WARN-x SECRET-TEXT-0") \
        .replace("SECRET-TEXT-3", "WARN-x SECRET-TEXT-3").replace("SECRET-TEXT-4", "CRASH SECRET-TEXT-4")
    path.write_text(text, encoding="utf-8")
    results = ev.evaluate_public(tmp_path, None, keyword_analyzer, names=["goemotions_en", "ucc_en"])
    go, ucc = results
    assert (go.available, go.sampled, go.expect_warn, go.expect_warn_warned) == (6, 6, 3, 1)
    assert (go.expect_ok, go.expect_ok_warned, go.failures) == (3, 1, 1)
    assert go.recall == pytest.approx(1 / 3) and go.false_warning_rate == pytest.approx(1 / 3)
    assert ucc.missing and "not found" in ucc.missing
    outputs = [ev.format_public_results(results, tmp_path, None), json.dumps([r.to_json() for r in results])]
    assert all("SECRET" not in output for output in outputs)


# --- the real analyzer, the command line ---------------------------------------------------------

def test_cli_json_with_the_real_analyzer(tmp_path, capsys):
    path = write_jsonl(tmp_path / "real.jsonl", [
        row("nl-1", "nl", "risky", "Zoals ik al zei: dat is uw eigen schuld!!!", ["impatient", "attacking"]),
        row("en-1", "en", "ok", "Thanks so much, Emma! Enjoy the concert.", trap=True)])
    assert ev.main([str(path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    (result,) = data["files"]
    assert result["all"]["n"] == 2 and set(result["languages"]) == {"nl", "en"}
    assert result["analysis_failures"] == []
    assert "public" not in data


def test_language_detection_is_compared_with_the_label(tmp_path):
    path = write_jsonl(tmp_path / "langs.jsonl", [
        row("nl-1", "nl", "ok", "Thank you so much for your patience, we have refunded the full amount today."),
        row("nl-2", "nl", "ok", "Dank je wel voor je geduld, we hebben het volledige bedrag vandaag teruggestort.")])
    result = ev.evaluate_file(path, keyword_analyzer, check_language=True)
    assert result.language_mismatches == [("nl-1", "en")]
    assert "language detection: 1/2 agree" in ev.format_file_result(result)


def test_cli_usage_errors(tmp_path, capsys):
    assert ev.main([str(tmp_path / "absent.jsonl")]) == 2
    assert "cannot read" in capsys.readouterr().err
    assert ev.main([]) == 2


def test_toontje_eval_is_wired_into_the_cli(tiny_file, capsys):
    from toontje import cli

    assert cli.main(["eval", str(tiny_file), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["files"][0]["all"]["n"] == len(TINY)


# --- quality gate --------------------------------------------------------------------------------

@pytest.fixture(scope="module", params=sorted({name for name, _ in GATES}))
def labelled_result(request):
    return request.param, ev.evaluate_file(EVAL_DIR / f"{request.param}.jsonl")


def no_failures(result):
    assert not result.failures, f"analyze() raised on {len(result.failures)} rows: {result.failures[:3]}"


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_recall_and_false_warnings_hold_their_gate(labelled_result, lang):
    name, result = labelled_result
    no_failures(result)
    min_recall, max_false_warn = GATES[name, lang]
    scores = result.by_lang[lang]
    # Ids only: the blind set's texts stay unread by whoever tunes the rules.
    missed = [p.row.id for p in result.errors if p.row.lang == lang and p.row.label == "risky"]
    wrong = [p.row.id for p in result.errors if p.row.lang == lang and p.row.label == "ok"]
    assert scores.recall >= min_recall, f"{name}/{lang} recall {scores.recall:.3f}; missed {missed}"
    assert scores.false_warning_rate <= max_false_warn, \
        f"{name}/{lang} false warnings {scores.false_warning_rate:.3f}: {wrong}"


@pytest.mark.skipif(not (PUBLIC_DIR / "brand_replies_en").is_dir(), reason=f"{PUBLIC_DIR} not present")
def test_brand_replies_false_warnings():
    result = ev.evaluate_public_set(ev.public_set("brand_replies_en"), PUBLIC_DIR, per_class=None)
    assert result.expect_ok > 1000 and result.failures == 0
    assert result.false_warning_rate <= BRAND_MAX_FALSE_WARN, (
        f"{result.expect_ok_warned} of {result.expect_ok} brand replies warned ({result.false_warning_rate:.3f})")
