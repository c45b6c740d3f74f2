"""The rule catalogues: every example of every rule, and the structure of the catalogues."""

import pytest

from toontje import LANGUAGES
from toontje.api import create_app
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
    assert merged.rule("nl-sarcasm").matcher.sources == ("dat doen wij nooit",)
    assert len(merged.rules) == len(base.rules)


def test_a_catalogue_compiles_its_regexes_on_use_or_all_at_once():
    base = load_catalogue("nl")
    catalogue = parse_catalogue(GOOD_RULE, "house.toml", "nl", base=base)
    patterns = catalogue.rule("nl-house-test").matcher.patterns
    assert all(pattern._compiled is None for pattern in patterns), "a one-off check should not compile every regex"
    catalogue.compile_regexes()
    assert all(pattern._compiled is not None for pattern in patterns)
    # The server compiles both built-in catalogues before its first request (api.create_app).
    create_app({"PORT": 8765})
    for lang in LANGUAGES:
        signal_patterns = [p for patterns in load_catalogue(lang).signals.values() for p in patterns.patterns]
        assert signal_patterns and all(pattern._compiled is not None for pattern in signal_patterns)


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


def test_quote_token_matches_that_words_were_quoted_but_not_which():
    from toontje.analysis import Document
    from toontje.rules import compile_patterns

    patterns = compile_patterns(['niet " (geschrapt|gedaan)'], {})
    assert Document("We hebben de lijn niet 'zomaar' geschrapt.", "nl").has(patterns)
    assert Document('We didn\'t "ignore" it, niet "zomaar" gedaan.', "nl").has(patterns)
    assert not Document("We hebben de lijn niet zomaar geschrapt.", "nl").has(patterns)
    # The quoted words themselves stay invisible: a pattern cannot name them.
    assert not Document("We hebben de lijn niet 'zomaar' geschrapt.", "nl").has(compile_patterns(["niet zomaar"], {}))


def _fires(rule_lines):
    """Whether a one-rule catalogue (rule id "nl-test", a signal "sorry") fires on a text."""
    from toontje.analysis import Document, find_all
    from toontje.rules import parse_catalogue

    catalogue = parse_catalogue(
        'language = "nl"\n[signals]\nsorry = ["sorry"]\n[[rule]]\nid = "nl-test"\nmessage = "m"\ndescription = "d"\n'
        + rule_lines, "test.toml", "nl")
    return lambda text: any(f.rule == "nl-test" for f in find_all(Document(text, "nl"), None, catalogue))


def test_unless_nearby_looks_at_the_sentence_before_and_after():
    fired = _fires('''
category = "emotional"
patterns = ["belachelijk"]
unless_nearby = ["sorry"]
must_fire = ["Belachelijk."]
must_not_fire = ["Sorry. Belachelijk."]
''')
    assert fired("Belachelijk.")
    assert not fired("Belachelijk. Sorry daarvoor.")
    assert not fired("Sorry! Belachelijk dit.")
    assert fired("Sorry. Even iets anders. Belachelijk.")  # two sentences away: not nearby


def test_whole_reply_rules_fire_only_on_a_one_sentence_reply():
    fired = _fires('''
category = "dismissive"
patterns = ["^ prima $"]
whole_reply = true
must_fire = ["Prima."]
must_not_fire = ["Prima. We sturen hem morgen."]
''')
    assert fired("Prima.")
    assert not fired("Prima. We sturen hem morgen.")


def test_unless_signal_nearby_excuses_a_detector_finding():
    fired = _fires('''
category = "emotional"
detector = "punctuation"
params = { marks = ["?!"], max_sentence_polarity = 1.0, unless_signal_nearby = ["sorry"] }
must_fire = ["Hoe dan?!"]
must_not_fire = ["Sorry. Hoe dan?!"]
''')
    assert fired("Hoe dan?!")
    assert not fired("Hoe dan?! Sorry, ik snap het nu.")


def test_unless_reply_looks_at_the_whole_reply():
    fired = _fires('''
category = "argumentative"
patterns = ["niet waar"]
unless_reply = ["fijn dat je het checkt"]
must_fire = ["Dat is niet waar."]
must_not_fire = ["Dat is niet waar. De bus rijdt. Fijn dat je het checkt!"]
''')
    assert fired("Dat is niet waar. De bus rijdt gewoon.")
    assert not fired("Dat is niet waar. De bus rijdt gewoon. Fijn dat je het checkt!")


def test_patterns_starting_with_a_number_or_quoted_words_find_every_match():
    # "#" and '"' anchor a pattern's start like a word does; every occurrence must still be found.
    from toontje.analysis import Document
    from toontje.rules import compile_patterns

    numbers = compile_patterns(["# (euro|minuten)"], {})
    assert Document("Eerst 3 dagen, daarna 12 euro en 15 minuten.", "nl").has(numbers)
    assert len(list(Document("Het was 12 euro en 15 minuten.", "nl").matches(numbers))) == 2
    assert not Document("Het kost twaalf euro.", "nl").has(numbers)
    quoted = compile_patterns(['" (is|was) (niet|geen)'], {})
    assert Document('Uw "fout" is niet van ons.', "nl").has(quoted)
    assert not Document("Uw fout is niet van ons.", "nl").has(quoted)
