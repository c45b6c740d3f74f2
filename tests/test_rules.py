"""The rule catalogues: every example of every rule, and the structure of the catalogues."""

import pytest

from toontje import LANGUAGES
from toontje.analysis import DETECTORS, Context, Document, analyze, example_failures, find_all
from toontje.rules import (
    CATEGORY_LEVELS,
    DETECTOR_PARAMS,
    CatalogueError,
    all_rules,
    load_catalogue,
    parse_catalogue,
)


def _examples():
    for rule in all_rules():
        for expected, examples in ((True, rule.examples_fire), (False, rule.examples_quiet)):
            for number, example in enumerate(examples):
                kind = "fires" if expected else "quiet"
                yield pytest.param(rule, example, expected, id=f"{rule.id}-{kind}-{number}")


@pytest.mark.parametrize("rule, example, expected", list(_examples()))
def test_rule_example(rule, example, expected):
    catalogue = load_catalogue(rule.lang)
    findings = find_all(Document(example.text, rule.lang), Context(example.comment, example.author), catalogue)
    fired = rule.id in {finding.rule for finding in findings}
    assert fired == expected, f"{rule.id} {'should' if expected else 'should not'} fire on {example.text!r}"


def test_rule_ids_are_unique_across_languages():
    ids = [rule.id for rule in all_rules()]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_rule_ids_carry_their_language(lang):
    assert all(rule.id.startswith(f"{lang}-") and rule.lang == lang for rule in load_catalogue(lang).rules)


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("category", sorted(CATEGORY_LEVELS))
def test_every_category_has_a_rule_in_every_language(lang, category):
    assert any(rule.category == category for rule in load_catalogue(lang).rules)


def test_every_rule_has_examples_of_both_kinds_and_texts():
    for rule in all_rules():
        assert rule.examples_fire and rule.examples_quiet, rule.id
        assert rule.message and rule.description, rule.id


def test_built_in_severities_follow_their_category():
    for rule in all_rules():
        assert rule.severity == CATEGORY_LEVELS[rule.category], rule.id


def test_every_detector_is_implemented():
    assert set(DETECTORS) == set(DETECTOR_PARAMS)


def test_to_json_has_the_api_fields():
    rule = load_catalogue("nl").rule("nl-your-own-fault")
    data = rule.to_json()
    assert {"id", "language", "category", "severity", "description", "message", "examples"} <= set(data)
    assert data["language"] == "nl" and data["category"] == "attacking"
    assert data["examples"]["must_fire"] and data["examples"]["must_not_fire"]
    assert all(isinstance(example["text"], str) for example in data["examples"]["must_fire"])


def test_detector_settings_are_published():
    import json

    shouting = load_catalogue("nl").rule("nl-shouting").to_json()
    assert shouting["detector"] == "shouting"
    assert "kpn" in shouting["params"]["acronyms"] and shouting["params"]["min_run"] == 2
    json.dumps([rule.to_json() for rule in all_rules()])  # everything is JSON-serialisable


def test_example_failures_is_empty_for_built_in_catalogues():
    for lang in LANGUAGES:
        assert example_failures(load_catalogue(lang)) == []


# --- validation ---------------------------------------------------------------------------

GOOD_RULE = """
[[rule]]
id = "nl-house-test"
category = "dismissive"
message = "Niet doen."
description = "Test."
patterns = ["dat doen wij nooit"]
must_fire = ["Dat doen wij nooit."]
must_not_fire = ["Dat doen wij graag."]
"""


def test_house_rules_parse_and_merge_over_built_in():
    base = load_catalogue("nl")
    extra = parse_catalogue(GOOD_RULE, "house.toml", "nl", base=base)
    merged = base.merged_with(extra, disabled=("nl-sarcasm",))
    ids = {rule.id for rule in merged.rules}
    assert "nl-house-test" in ids and "nl-sarcasm" not in ids
    assert example_failures(merged) == []
    result = analyze("Dat doen wij nooit.", "nl", catalogues={"nl": merged})
    assert "nl-house-test" in {finding.rule for finding in result.findings}
    assert result.verdict == "warn"


def test_house_rule_replaces_a_built_in_rule_with_the_same_id():
    base = load_catalogue("nl")
    replacement = GOOD_RULE.replace('id = "nl-house-test"', 'id = "nl-sarcasm"')
    merged = base.merged_with(parse_catalogue(replacement, "house.toml", "nl", base=base))
    assert merged.rule("nl-sarcasm").patterns == ("dat doen wij nooit",)
    assert len(merged.rules) == len(base.rules)


@pytest.mark.parametrize(
    "change, complaint",
    [
        (('category = "dismissive"', 'category = "rude"'), "unknown category"),
        (('patterns = ["dat doen wij nooit"]', 'patterns = ["dat (doen|laten"]'), "bad pattern"),
        (('patterns = ["dat doen wij nooit"]', 'patterns = ["dat doen wij nooit?"]'), "is not a word"),
        (('patterns = ["dat doen wij nooit"]', 'patterns = ["[dat]"]'), "without any word"),
        (('patterns = ["dat doen wij nooit"]', 'patterns = ["{nope} nooit"]'), "unknown macro"),
        (('must_fire = ["Dat doen wij nooit."]', "must_fire = []"), "must_fire"),
        (('must_not_fire = ["Dat doen wij graag."]', ""), "must_not_fire"),
        (('message = "Niet doen."', ""), "'message' is required"),
        (('id = "nl-house-test"', 'id = "Bad Id"'), "'id' must be"),
        (('category = "dismissive"', 'category = "dismissive"\nseverity = "review"'), "severity_reason"),
        (('category = "dismissive"', 'category = "dismissive"\npaterns = ["x"]'), "unknown key"),
        (('patterns = ["dat doen wij nooit"]', 'detector = "telepathy"'), "unknown detector"),
        (('patterns = ["dat doen wij nooit"]', 'detector = "shouting"\nparams = { loudness = 3 }'), "unknown param"),
        (('patterns = ["dat doen wij nooit"]', 'detector = "missing_signal"\nparams = { unless_reply = ["nope"] }'),
         "unknown signal"),
    ],
)
def test_broken_catalogue_is_refused_with_a_clear_error(change, complaint):
    old, new = change
    assert old in GOOD_RULE
    with pytest.raises(CatalogueError, match=complaint):
        parse_catalogue(GOOD_RULE.replace(old, new), "house.toml", "nl", base=load_catalogue("nl"))


def test_duplicate_ids_and_bad_toml_are_refused():
    with pytest.raises(CatalogueError, match="duplicate rule id"):
        parse_catalogue(GOOD_RULE + GOOD_RULE, "house.toml", "nl", base=load_catalogue("nl"))
    with pytest.raises(CatalogueError, match="house.toml: not valid TOML"):
        parse_catalogue("[[rule]\nid=", "house.toml", "nl")
    with pytest.raises(CatalogueError, match="language"):
        parse_catalogue('language = "de"\n' + GOOD_RULE, "house.toml")


def test_example_failures_reports_a_rule_whose_examples_lie():
    lying = GOOD_RULE.replace('must_not_fire = ["Dat doen wij graag."]', 'must_not_fire = ["Dat doen wij nooit meer."]')
    catalogue = parse_catalogue(lying, "house.toml", "nl", base=load_catalogue("nl"))
    failures = example_failures(catalogue)
    assert len(failures) == 1 and "nl-house-test fires" in failures[0]
