"""House rules (issue 4, part 3): the example file, validation with line numbers, hot reload,
never-flag phrases, and house rules in /v1/rules, /v1/analyze and /v1/rewrite."""

import json
import os
from importlib import resources

import pytest

from toontje.analysis import analyze, example_failures
from toontje.api import create_app
from toontje.cli import main as toontje_main
from toontje.house_rules import HouseRulesError, HouseRulesFile, analyze_with, load_house_rules, parse_house_rules
from toontje.rules import Catalogue

TEST_PORT = 8765
# SERVER_NAME makes the test client address the app as http://127.0.0.1:PORT, as a browser on
# this machine would (the app refuses other Host headers). Defined here rather than imported
# from conftest: tests/browser has a conftest module of its own, so "conftest" is ambiguous.
TEST_CONFIG = {"TESTING": True, "PORT": TEST_PORT, "SERVER_NAME": f"127.0.0.1:{TEST_PORT}"}

EXAMPLE = resources.files("toontje").joinpath("static/house-rules.example.toml")
EXAMPLE_RULES = load_house_rules(EXAMPLE)
RISKY_NL = "Dat is niet onze schuld. Als u de handleiding had gelezen, had u dit probleem niet gehad!!!"

MINIMAL = """\
team = "Test"

[[banned]]
id = "house-pech"
language = "nl"
phrases = ["pech"]
category = "dismissive"
message = "Zeg niet 'pech'."
must_fire = ["Tja, pech gehad."]
must_not_fire = ["We lossen het op."]
"""


# --- the example file runs through the same example machinery as the built-in catalogue -------


def _house_rule_cases():
    for lang, rules in EXAMPLE_RULES.rules.items():
        for rule in rules:
            yield pytest.param(lang, rule, id=rule.id)


@pytest.mark.parametrize("lang, rule", list(_house_rule_cases()))
def test_each_example_house_rule_behaves_as_its_examples_say(lang, rule):
    merged = EXAMPLE_RULES.catalogues[lang]
    alone = Catalogue(lang, (rule,), merged.macros, merged.signals, merged.signal_sources)
    assert example_failures(alone) == []
    assert rule.examples_fire and rule.examples_quiet


def test_the_example_file_has_every_kind_of_house_rule():
    assert EXAMPLE_RULES.team == "Webcare Voorbeeld"
    assert {rule.id for rules in EXAMPLE_RULES.rules.values() for rule in rules} >= {"house-helaas-pindakaas"}
    assert set(EXAMPLE_RULES.dm_wording) == {"nl", "en"} and set(EXAMPLE_RULES.sign_off) == {"nl", "en"}
    assert EXAMPLE_RULES.never_flag["nl"] and EXAMPLE_RULES.example_failures() == []


# --- findings -----------------------------------------------------------------------------------


def test_a_banned_phrase_is_a_finding_with_its_own_id_and_replacement():
    text = "Tja, helaas pindakaas: de actie is voorbij."
    analysis = analyze_with(EXAMPLE_RULES, text, lang="nl")
    [finding] = [f for f in analysis.findings if f.rule == "house-helaas-pindakaas"]
    assert text[finding.start:finding.end] == "helaas pindakaas"
    assert finding.category == "dismissive" and finding.severity == "warn"
    assert finding.replacements == ("Dat is echt balen",)
    assert analysis.verdict == "warn"
    assert "house-helaas-pindakaas" not in {f.rule for f in analyze(text, lang="nl").findings}


def test_never_flag_phrases_suppress_findings_they_cover():
    house = parse_house_rules(MINIMAL + '\n[never_flag]\nnl = ["pech onderweg"]\n')
    covered = analyze_with(house, "Pech onderweg? Bel ons gerust, we helpen je graag.", lang="nl")
    assert "house-pech" not in {f.rule for f in covered.findings}
    outside = analyze_with(house, "Pech onderweg? Tja, pech gehad.", lang="nl")
    assert [f.start for f in outside.findings if f.rule == "house-pech"] == [20]


def test_never_flag_also_silences_a_built_in_rule_and_the_verdict_follows():
    built_in = analyze(RISKY_NL, lang="nl")
    warned = [f for f in built_in.findings if f.severity == "warn" and f.end > f.start]
    assert built_in.verdict == "warn" and warned
    phrases = json.dumps([RISKY_NL[f.start:f.end] for f in warned], ensure_ascii=False)
    house = parse_house_rules(f"[never_flag]\nnl = {phrases}\n")
    quieter = analyze_with(house, RISKY_NL, lang="nl")
    remaining_warnings = [f for f in quieter.findings if f.severity == "warn"]
    assert all(f.start == f.end for f in remaining_warnings)  # only findings about the whole reply can stay
    assert quieter.verdict == ("warn" if remaining_warnings else "review" if quieter.findings else "ok")
    assert quieter.score < built_in.score


def test_disabled_built_in_rules_are_gone():
    rule_id = analyze(RISKY_NL, lang="nl").findings[0].rule
    house = parse_house_rules(f'disable = ["{rule_id}"]\n')
    assert rule_id not in {f.rule for f in analyze_with(house, RISKY_NL, lang="nl").findings}
    assert rule_id not in {rule.id for rule in house.all_rules()}


# --- validation: every error names its line -----------------------------------------------------

BROKEN = [
    ("syntax", 'team = "Test\n', 1, "not valid TOML"),
    ("unknown top-level key", 'team = "Test"\ncolour = "blue"\n', 2, "unknown key 'colour'"),
    ("unknown category", MINIMAL.replace('"dismissive"', '"grumpy"'), 7, "unknown category 'grumpy'"),
    ("id without prefix", MINIMAL.replace('"house-pech"', '"pech"'), 4, "'id' must start with 'house-'"),
    ("unknown language", MINIMAL.replace('language = "nl"', 'language = "de"'), 5, "'language'"),
    ("missing message", MINIMAL.replace("message = \"Zeg niet 'pech'.\"\n", ""), 3, "'message' is required"),
    ("no examples", MINIMAL.replace('must_fire = ["Tja, pech gehad."]\n', ""), 3, "'must_fire'"),
    ("unknown key in a rule", MINIMAL.replace("phrases", "phrase"), 6, "unknown key 'phrase'"),
    ("example that does not fire", MINIMAL.replace("Tja, pech gehad.", "Tja, jammer dan."), 9, "does not fire"),
    ("example that fires", MINIMAL.replace("We lossen het op.", "Pech voor u."), 10, "fires on example"),
    ("bad pattern", MINIMAL.replace('phrases = ["pech"]', 'patterns = ["(pech"]'), 6, "bad pattern"),
    ("never_flag not a list", 'never_flag = "pech"\n', 1, "list of phrases"),
    ("unknown rule disabled", 'team = "x"\n\ndisable = ["nl-no-such-rule"]\n', 3, "nl-no-such-rule"),
    ("empty sign-off", '[sign_off]\nnl = "Groet"\nen = ""\n', 3, "'sign_off' (en)"),
    ("unknown language", '[dm]\nnl = "DM ons"\nde = "Schreib uns"\n', 3, "unknown language 'de'"),
    ("after a multi-line string", 'team = """Team\ncolour = 1"""\ncolour = "blue"\n', 3, "unknown key 'colour'"),
    ("inline banned table", 'banned = [{id = "house-x", language = "nl"}]\n', 1, "'message' is required"),
    ("duplicate id", MINIMAL + MINIMAL[MINIMAL.index("[[banned]]"):], 12, "used twice"),
]


@pytest.mark.parametrize("text, line, complaint", [pytest.param(*case[1:], id=case[0]) for case in BROKEN])
def test_validation_errors_name_the_line_and_what_is_wrong(text, line, complaint):
    with pytest.raises(HouseRulesError) as error:
        parse_house_rules(text, "rules.toml")
    assert any(found == line and complaint in what for found, what in error.value.problems), error.value.problems
    assert f"rules.toml, line {line}: " in str(error.value)


def test_all_problems_are_reported_at_once():
    text = MINIMAL.replace('"dismissive"', '"grumpy"').replace('language = "nl"', 'language = "de"')
    with pytest.raises(HouseRulesError) as error:
        parse_house_rules(text)
    assert [line for line, _ in error.value.problems] == [5, 7]


# --- the file the helper serves from: last good rules, reload without restart --------------------


def _write(path, text):
    path.write_text(text, encoding="utf-8")
    # Make sure the change is visible even on file systems with coarse timestamps.
    stamp = path.stat().st_mtime_ns + 1_000_000_000
    os.utime(path, ns=(stamp, stamp))


def test_a_broken_file_keeps_the_last_good_rules_and_a_fixed_one_is_picked_up(tmp_path):
    path = tmp_path / "house.toml"
    _write(path, MINIMAL)
    source = HouseRulesFile(path)
    assert source.current().team == "Test" and source.error is None

    _write(path, MINIMAL.replace('"dismissive"', '"grumpy"'))
    assert source.current().team == "Test"  # still the last good version
    assert "line 7" in str(source.error) and source.status()["problems"][0]["line"] == 7

    _write(path, MINIMAL.replace('team = "Test"', 'team = "Fixed"'))
    assert source.current().team == "Fixed" and source.error is None


def test_a_file_broken_from_the_start_serves_no_house_rules_and_says_why(tmp_path):
    path = tmp_path / "house.toml"
    _write(path, "team = \n")
    source = HouseRulesFile(path)
    assert source.current() is None
    assert source.status()["error"] and source.status()["rules"] == 0


@pytest.fixture
def house_file(tmp_path):
    path = tmp_path / "house.toml"
    _write(path, MINIMAL)
    return path


@pytest.fixture
def house_client(house_file, tmp_path):
    app = create_app({**TEST_CONFIG, "HOUSE_RULES": str(house_file), "EVENTS_DB": str(tmp_path / "events.sqlite3")})
    return app.test_client()


def analyze_rules(client, text):
    response = client.post("/v1/analyze", data=json.dumps({"text": text, "lang": "nl"}), content_type="application/json")
    assert response.status_code == 200
    return {finding["rule"] for finding in response.get_json()["findings"]}


def test_house_rules_are_in_the_api_and_reload_without_restart(house_client, house_file):
    rules = {rule["id"]: rule for rule in house_client.get("/v1/rules").get_json()["rules"]}
    assert rules["house-pech"]["category"] == "dismissive"
    assert rules["house-pech"]["examples"]["must_fire"] == [{"text": "Tja, pech gehad."}]
    assert len(rules) > 1  # the built-in rules are still there
    assert "house-pech" in analyze_rules(house_client, "Tja, pech gehad.")

    _write(house_file, MINIMAL.replace('message = ', 'message = \n'))  # broken
    assert "house-pech" in analyze_rules(house_client, "Tja, pech gehad.")
    status = house_client.get("/v1/house-rules").get_json()
    assert status["error"] and status["problems"][0]["line"] == 8 and status["rules"] == 1

    _write(house_file, MINIMAL.replace("pech", "jammer").replace("Tja, jammer gehad.", "Tja, jammer dan."))
    assert "house-jammer" in analyze_rules(house_client, "Tja, jammer dan.")
    assert "house-pech" not in analyze_rules(house_client, "Tja, pech gehad.")
    assert house_client.get("/v1/house-rules").get_json()["error"] is None


def test_the_rewrite_uses_the_teams_dm_wording_and_sign_off(tmp_path):
    app = create_app({**TEST_CONFIG, "HOUSE_RULES": str(EXAMPLE), "EVENTS_DB": str(tmp_path / "events.sqlite3")})
    body = {"text": "Helaas pindakaas, dat is niet onze schuld. Zoals ik al zei: bel de bezorger maar.",
            "lang": "nl", "context": {"author": "Sanne de Boer", "comment": "Mijn pakket is kwijt!"}}
    response = app.test_client().post("/v1/rewrite", data=json.dumps(body), content_type="application/json")
    rewritten = response.get_json()
    assert rewritten["verdict"] != "warn"
    assert "pindakaas" not in rewritten["text"].lower()
    assert rewritten["text"].rstrip().endswith(EXAMPLE_RULES.sign_off["nl"])
    if "DM" in rewritten["text"] or "bericht" in rewritten["text"]:
        assert EXAMPLE_RULES.dm_wording["nl"] in rewritten["text"]


def test_serve_refuses_a_house_rules_path_that_does_not_exist(tmp_path, capsys):
    assert toontje_main(["serve", "--port", "1", "--house-rules", str(tmp_path / "nope.toml")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_audit_uses_house_rules(tmp_path):
    export = tmp_path / "export.csv"
    export.write_text("text\nTja, helaas pindakaas.\n", encoding="utf-8")
    data_path = tmp_path / "r.json"
    assert toontje_main(["audit", str(export), "--house-rules", str(EXAMPLE), "-o", str(tmp_path / "r.html"),
                         "--json", str(data_path)]) == 1
    data = json.loads(data_path.read_text(encoding="utf-8"))
    assert "house-helaas-pindakaas" in {finding["rule"] for finding in data["frequent_findings"]}


def test_a_deleted_file_keeps_the_last_good_rules(tmp_path):
    path = tmp_path / "house.toml"
    _write(path, MINIMAL)
    source = HouseRulesFile(path)
    path.unlink()
    assert source.current().team == "Test"
    assert str(source.error) == f"{path}: the file does not exist"


def test_a_file_that_is_not_utf8_names_the_line(tmp_path):
    path = tmp_path / "house.toml"
    path.write_bytes(b'team = "Test"\n\nnever_flag = ["caf\xe9"]\n')
    with pytest.raises(HouseRulesError, match=r"line 3: not UTF-8"):
        load_house_rules(path)
