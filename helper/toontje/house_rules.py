"""House rules: a team's own TOML file on top of the built-in rule catalogue (issue 4, part 3).

A team can ban phrases (their own findings, ids starting with "house-"), give the wording
the rewrite uses to invite a DM and the brand's sign-off, list phrases that must never be
flagged, and switch off built-in rules. See static/house-rules.example.toml for the format.

The file is validated when it is loaded; every error names its line. HouseRulesFile keeps
the last good version while the file on disk is broken and picks up a fixed file on the
next request (a stat() per request, no restart, no file watcher thread).
"""

from __future__ import annotations

import os
import re
import threading
import tomllib
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Mapping

from flask import current_app

from . import LANGUAGES
from .analysis import Analysis, Context, analyze, example_failures, risk_score
# rule_from_table: the catalogue loader's own builder for one [[rule]] table, so house rules get
# exactly the validation and matching of the built-in rules.
from .rules import CATEGORY_LEVELS, SEVERITIES, Catalogue, CatalogueError, Rule, load_catalogue, rule_from_table
from .text import tokenize

HOUSE_ID_PREFIX = "house-"
APP_EXTENSION = "toontje.house_rules"  # the app's HouseRulesFile, when serving with house rules
TOP_LEVEL_KEYS = ("team", "sign_off", "dm", "never_flag", "disable", "banned")
BANNED_KEYS = (
    "id", "language", "phrases", "patterns", "unless", "category", "severity", "message", "description",
    "replacement", "replacements", "must_fire", "must_not_fire",
)  # fmt: skip
_ID_RE = re.compile(r"house(?:-[a-z0-9]+)+")
_TOML_ERROR_LINE = re.compile(r"\(at line (\d+), column (\d+)\)")
_TABLE_HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\-]+)\s*\]\]?")
_KEY_LINE = re.compile(r"^\s*([A-Za-z0-9_\-]+)\s*(?:\.\s*([A-Za-z0-9_\-]+)\s*)?=")


class HouseRulesError(ValueError):
    """The house-rules file is wrong. `problems` holds (line, what is wrong) pairs; line 0 is
    the file as a whole (missing, not UTF-8)."""

    def __init__(self, source: str, problems: list[tuple[int, str]]):
        self.source = source
        self.problems = sorted(problems)
        super().__init__(
            "\n".join(f"{source}, line {line}: {what}" if line else f"{source}: {what}" for line, what in self.problems)
        )


@dataclass(frozen=True)
class HouseRules:
    source: str
    team: str | None
    rules: dict[str, tuple[Rule, ...]]  # the house rules per language, ids "house-..."
    catalogues: dict[str, Catalogue]  # built-in catalogue + house rules - disabled rules, per language
    never_flag: dict[str, tuple[re.Pattern, ...]]
    dm_wording: dict[str, str]
    sign_off: dict[str, str]
    disabled: tuple[str, ...]
    house_catalogues: dict[str, Catalogue]  # only the house rules, with the built-in macros and signals

    def all_rules(self) -> list[Rule]:
        """Every rule in force, built-in and house, for GET /v1/rules."""
        return [rule for lang in LANGUAGES for rule in self.catalogues[lang].rules]

    def house_rule_count(self) -> int:
        return sum(len(rules) for rules in self.rules.values())

    def example_failures(self) -> list[str]:
        """House-rule examples that do not behave as they say (same check as the built-in ones)."""
        return [failure for lang in LANGUAGES for failure in example_failures(self.house_catalogues[lang])]

    def is_never_flagged(self, text: str, lang: str, start: int, end: int) -> bool:
        if start == end:  # a finding about the whole reply has no words to cover
            return False
        return any(
            match.start() <= start and end <= match.end()
            for pattern in self.never_flag.get(lang, ())
            for match in pattern.finditer(text)
        )


def analyze_with(house: HouseRules | None, text: str, lang: str = "auto", context: Context | None = None) -> Analysis:
    """analyze() with the team's rules added and its never-flag phrases taken out."""
    if house is None:
        return analyze(text, lang=lang, context=context)
    analysis = analyze(text, lang=lang, context=context, catalogues=house.catalogues)
    kept = tuple(
        finding for finding in analysis.findings
        if not house.is_never_flagged(text, analysis.lang, finding.start, finding.end)
    )  # fmt: skip
    if len(kept) == len(analysis.findings):
        return analysis
    severities = {finding.severity for finding in kept}
    verdict = "warn" if "warn" in severities else "review" if severities else "ok"
    return Analysis(verdict, risk_score(list(kept), analysis.sentiment.polarity), analysis.lang, kept, analysis.sentiment)


# --- where things are in the file ---------------------------------------------------------------


class _LineMap:
    """Finds the line of a table or key in the TOML text, so errors can name it.

    tomllib gives line numbers only for syntax errors; for a wrong value we look up the line
    of the key (or of the table header when the key is missing).
    """

    def __init__(self, text: str):
        self.tables: list[tuple[str, int]] = []  # (table name, header line), in file order
        self.keys: list[dict[str, int]] = [{}]  # keys per table, index 0 = top level
        in_multiline_string = False  # lines inside a """...""" string are not keys
        for number, line in enumerate(text.splitlines(), start=1):
            opens_or_closes = bool(line.count('"""') % 2 or line.count("'''") % 2)
            if in_multiline_string:
                in_multiline_string = not opens_or_closes
                continue
            in_multiline_string = opens_or_closes
            header = _TABLE_HEADER.match(line)
            if header:
                self.tables.append((header.group(2), number))
                self.keys.append({})
                continue
            key = _KEY_LINE.match(line)
            if key:
                self.keys[-1].setdefault(key.group(1), number)
                if key.group(2):
                    self.keys[-1].setdefault(f"{key.group(1)}.{key.group(2)}", number)

    def table(self, name: str, index: int = 0) -> tuple[int, dict[str, int]] | None:
        """Header line and key lines of the index-th table called `name`, if it has a header."""
        found = [(line, self.keys[position + 1]) for position, (table, line) in enumerate(self.tables) if table == name]
        return found[index] if index < len(found) else None

    def top_level_key(self, key: str) -> int:
        """The line of `key = ...`, `key.x = ...` or `[key]`; 1 if it cannot be found."""
        lines = [line for name, line in self.keys[0].items() if name == key or name.startswith(key + ".")]
        if lines:
            return min(lines)
        table = self.table(key)
        return table[0] if table else 1

    def key_in_table(self, name: str, key: str, index: int = 0) -> int:
        """The line of `key` in the index-th table `name`; else the table's own line."""
        table = self.table(name, index)
        if table is None:
            return self.keys[0].get(f"{name}.{key}", self.top_level_key(name))
        header_line, keys = table
        return keys.get(key, header_line)


# --- parsing ------------------------------------------------------------------------------------


def _text(raw: object) -> str | None:
    return raw.strip() if isinstance(raw, str) and raw.strip() else None


def _never_flag_patterns(raw: object) -> tuple[re.Pattern, ...] | None:
    phrases = _string_list(raw)
    return None if phrases is None else tuple(_never_flag_pattern(phrase) for phrase in phrases)


def _never_flag_pattern(phrase: str) -> re.Pattern:
    # Spaces in the phrase match any run of white space; case is ignored; whole words only.
    words = phrase.split()
    return re.compile(r"(?<!\w)" + r"\s+".join(re.escape(word) for word in words) + r"(?!\w)", re.IGNORECASE)


def _phrase_pattern(phrase: str) -> str | None:
    """A plain phrase as a catalogue pattern: its words in sequence, punctuation dropped."""
    words = [token.text for token in tokenize(phrase) if token.kind == "word"]
    return " ".join(words) if words else None


def _string_list(raw: object) -> tuple[str, ...] | None:
    if isinstance(raw, list) and all(isinstance(item, str) and item.strip() for item in raw):
        return tuple(raw)
    return None


class _Parser:
    def __init__(self, text: str, source: str):
        self.source = source
        self.lines = _LineMap(text)
        self.problems: list[tuple[int, str]] = []
        try:
            self.data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            message = str(error)
            position = _TOML_ERROR_LINE.search(message)
            line = int(position.group(1)) if position else 1
            what = _TOML_ERROR_LINE.sub("", message).strip()
            column = f" at column {position.group(2)}" if position else ""
            raise HouseRulesError(source, [(line, f"not valid TOML: {what}{column}")]) from None

    def problem(self, line: int, what: str) -> None:
        self.problems.append((line, what))

    def parse(self) -> HouseRules:
        data = self.data
        for key in data:
            if key not in TOP_LEVEL_KEYS:
                self.problem(self.lines.top_level_key(key), f"unknown key {key!r}; known: {', '.join(TOP_LEVEL_KEYS)}")

        team = data.get("team")
        if team is not None and not (isinstance(team, str) and team.strip()):
            self.problem(self.lines.top_level_key("team"), "'team' must be the team's name as a string")
            team = None

        dm_wording = self.per_language("dm", _text, "the sentence the rewrite uses to invite a DM (a non-empty string)")
        sign_off = self.per_language("sign_off", _text, "the brand's sign-off (a non-empty string)")
        never_flag = self.per_language("never_flag", _never_flag_patterns, "a list of phrases (non-empty strings)")
        base = {lang: load_catalogue(lang) for lang in LANGUAGES}
        rules = self.banned(base)
        disabled = self.disabled(base)

        if self.problems:
            raise HouseRulesError(self.source, self.problems)

        catalogues, house_only = {}, {}
        for lang in LANGUAGES:
            extra = Catalogue(lang, rules[lang], {}, {}, {})
            merged = base[lang].merged_with(extra, disabled=tuple(i for i in disabled if i in _ids(base[lang])))
            # House rules first: where a house rule and a built-in one flag the same words in the
            # same category, analyze() keeps the first, and the team's message is the one to show.
            built_in = tuple(rule for rule in merged.rules if rule.id not in _ids(extra))
            catalogues[lang] = replace(merged, rules=rules[lang] + built_in)
            house_only[lang] = Catalogue(lang, rules[lang], merged.macros, merged.signals, merged.signal_sources)

        house = HouseRules(
            source=self.source,
            team=team.strip() if team else None,
            rules=rules,
            catalogues=catalogues,
            never_flag=never_flag,
            dm_wording=dm_wording,
            sign_off=sign_off,
            disabled=disabled,
            house_catalogues=house_only,
        )
        self.check_examples(house)
        return house

    def per_language(self, key: str, convert, what: str) -> dict:
        """`key = value` for every language, or `[key]` with `nl = ...` and `en = ...`.

        Each value goes through `convert`; None from it means the value is wrong, and `what`
        says what it should be.
        """
        if key not in self.data:
            return {}
        raw = self.data[key]
        if isinstance(raw, dict):
            values = raw
            for lang in sorted(set(raw) - set(LANGUAGES)):
                self.problem(self.lines.key_in_table(key, lang),
                             f"'{key}': unknown language {lang!r}; use {' or '.join(LANGUAGES)}")
        else:
            values = dict.fromkeys(LANGUAGES, raw)
        result = {}
        for lang in LANGUAGES:
            if lang not in values:
                continue
            converted = convert(values[lang])
            if converted is None:
                line = self.lines.key_in_table(key, lang) if isinstance(raw, dict) else self.lines.top_level_key(key)
                self.problem(line, f"'{key}' ({lang}) must be {what}")
            else:
                result[lang] = converted
        return result

    def disabled(self, base: Mapping[str, Catalogue]) -> tuple[str, ...]:
        if "disable" not in self.data:
            return ()
        line = self.lines.top_level_key("disable")
        ids = _string_list(self.data["disable"])
        if ids is None:
            self.problem(line, "'disable' must be a list of built-in rule ids")
            return ()
        known = set().union(*(_ids(catalogue) for catalogue in base.values()))
        unknown = [rule_id for rule_id in ids if rule_id not in known]
        if unknown:
            self.problem(line, f"'disable' names rule(s) that do not exist: {', '.join(unknown)} (see GET /v1/rules)")
        return tuple(rule_id for rule_id in ids if rule_id in known)

    def banned(self, base: Mapping[str, Catalogue]) -> dict[str, tuple[Rule, ...]]:
        rules: dict[str, list[Rule]] = {lang: [] for lang in LANGUAGES}
        raw = self.data.get("banned", [])
        if not isinstance(raw, list):
            self.problem(self.lines.top_level_key("banned"), "banned phrases are written as [[banned]] tables")
            return {lang: () for lang in LANGUAGES}
        seen: dict[str, int] = {}
        for index, table in enumerate(raw):
            table_lines = self.lines.table("banned", index)
            header_line = table_lines[0] if table_lines else self.lines.top_level_key("banned")
            rule = self.banned_rule(table, index, header_line, base)
            if rule is None:
                continue
            if rule.id in seen:
                self.problem(self.lines.key_in_table("banned", "id", index),
                             f"id {rule.id!r} is used twice (first on line {seen[rule.id]})")
                continue
            seen[rule.id] = self.lines.key_in_table("banned", "id", index)
            rules[rule.lang].append(rule)
        return {lang: tuple(found) for lang, found in rules.items()}

    def banned_rule(self, table: object, index: int, header_line: int, base: Mapping[str, Catalogue]) -> Rule | None:
        """One [[banned]] table as a catalogue rule, built and validated by rules.py itself."""

        def line_of(key: str) -> int:
            return self.lines.key_in_table("banned", key, index)

        if not isinstance(table, dict):
            self.problem(header_line, "each banned phrase is a [[banned]] table")
            return None
        problems_before = len(self.problems)
        for key in table:
            if key not in BANNED_KEYS:
                self.problem(line_of(key), f"unknown key {key!r} in [[banned]]; known: {', '.join(BANNED_KEYS)}")

        # The checks the catalogue loader would also make, done here first to name the line.
        rule_id = table.get("id")
        if not isinstance(rule_id, str) or not _ID_RE.fullmatch(rule_id):
            self.problem(line_of("id"), f"'id' must start with {HOUSE_ID_PREFIX!r} and be lower-case words "
                                        f"joined by '-', like 'house-helaas-pindakaas'; got {rule_id!r}")
        lang = table.get("language")
        if lang not in LANGUAGES:
            self.problem(line_of("language"), f"'language' must be {' or '.join(map(repr, LANGUAGES))}; got {lang!r}")
        category = table.get("category")
        if category not in CATEGORY_LEVELS:
            self.problem(line_of("category"), f"unknown category {category!r}; use one of {', '.join(CATEGORY_LEVELS)}")
        severity = table.get("severity", CATEGORY_LEVELS.get(category, "warn"))
        if severity not in SEVERITIES:
            self.problem(line_of("severity"), f"'severity' must be 'warn' or 'review'; got {severity!r}")
        message = table.get("message")
        if not isinstance(message, str) or not message.strip():
            self.problem(line_of("message"), "'message' is required: what the agent sees, in the rule's language")
        for examples_key, what in (("must_fire", "flags"), ("must_not_fire", "leaves alone")):
            if not table.get(examples_key):
                self.problem(line_of(examples_key), f"'{examples_key}' needs at least one example reply the rule {what}")

        replacements = table.get("replacements", [])
        if "replacement" in table:
            replacements = [table["replacement"]]
            if "replacements" in table:
                self.problem(line_of("replacements"), "give either 'replacement' or 'replacements', not both")

        patterns = table.get("patterns", [])
        patterns = list(patterns) if isinstance(patterns, list) else patterns  # the loader refuses a non-list
        phrases = table.get("phrases", [])
        if not isinstance(phrases, list) or not all(isinstance(phrase, str) for phrase in phrases):
            self.problem(line_of("phrases"), "'phrases' must be a list of strings")
        elif isinstance(patterns, list):
            for phrase in phrases:
                pattern = _phrase_pattern(phrase)
                if pattern is None:
                    self.problem(line_of("phrases"), f"phrase {phrase!r} has no words to match")
                patterns.append(pattern)
        if "phrases" not in table and "patterns" not in table:
            self.problem(header_line, "a banned rule needs 'phrases' (plain text) or 'patterns' "
                                      "(the catalogue's pattern language)")
        if len(self.problems) > problems_before:
            return None

        catalogue_table = {
            "id": rule_id,
            "category": category,
            "severity": severity,
            # A team may rank a phrase differently from the category's usual level; that is its call.
            "severity_reason": "house rule: the team chose this severity",
            "message": message,
            "description": table.get("description", message),
            "replacements": replacements,
            "patterns": patterns,
            "must_fire": table["must_fire"],
            "must_not_fire": table["must_not_fire"],
        }
        if "unless" in table:
            catalogue_table["unless"] = table["unless"]
        try:
            return rule_from_table(catalogue_table, lang, self.source, base[lang].macros, base[lang].signals, index + 1)
        except CatalogueError as error:
            # The loader names the key it objects to; point at that key's line.
            what = str(error).split(": ", 2)[-1]
            mentioned = [key for key in BANNED_KEYS if f"'{key}'" in what or (key == "patterns" and "pattern" in what)]
            key = next((key for key in mentioned if key in table), None)
            if key is None and "pattern" in what:
                key = "patterns" if "patterns" in table else "phrases"
            self.problem(line_of(key) if key else header_line, what)
            return None

    def check_examples(self, house: HouseRules) -> None:
        """A rule whose own examples fail does not do what the team thinks: refuse the file."""
        problems = []
        positions = {table.get("id"): index for index, table in enumerate(self.data.get("banned", []))}
        for lang in LANGUAGES:
            merged = house.catalogues[lang]
            for rule in house.rules[lang]:
                alone = Catalogue(lang, (rule,), merged.macros, merged.signals, merged.signal_sources)
                for failure in example_failures(alone):
                    key = "must_fire" if " does not fire " in failure else "must_not_fire"
                    problems.append((self.lines.key_in_table("banned", key, positions[rule.id]), failure))
        if problems:
            raise HouseRulesError(self.source, problems)


def _ids(catalogue: Catalogue) -> set[str]:
    return {rule.id for rule in catalogue.rules}


def parse_house_rules(text: str, source: str = "house rules") -> HouseRules:
    """Parse and validate a house-rules file; raise HouseRulesError naming each bad line."""
    return _Parser(text, source).parse()


def load_house_rules(path: Path | str) -> HouseRules:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise HouseRulesError(str(path), [(0, "the file does not exist")]) from None
    except UnicodeDecodeError as error:
        line = path.read_bytes()[: error.start].count(b"\n") + 1
        raise HouseRulesError(str(path), [(line, "not UTF-8 text; save the file as UTF-8")]) from None
    return parse_house_rules(text, str(path))


# --- the file the helper serves from ------------------------------------------------------------


class HouseRulesFile:
    """The house rules at `path`, reloaded when the file changes; the last good ones meanwhile."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self.rules: HouseRules | None = None
        self.error: HouseRulesError | None = None
        self.loaded_at: datetime | None = None
        self.current()

    def _file_stamp(self) -> tuple[int, int] | None:
        try:
            status = os.stat(self.path)
        except OSError:
            return None
        return status.st_mtime_ns, status.st_size

    def current(self) -> HouseRules | None:
        """The rules in force: a stat() per call, a reload only when the file changed."""
        stamp = self._file_stamp()
        if stamp != self._stamp:
            with self._lock:
                if stamp != self._stamp:
                    self._reload(stamp)
        return self.rules

    def _reload(self, stamp: tuple[int, int] | None) -> None:
        self._stamp = stamp
        try:
            self.rules = load_house_rules(self.path)
            self.error = None
            self.loaded_at = datetime.now().astimezone()
        except HouseRulesError as error:
            # Keep serving self.rules (the last good version, or none yet): a typo in the
            # team's file must not switch off the rules the team relies on.
            self.error = error

    def status(self) -> dict:
        rules = self.current()
        return {
            "path": str(self.path),
            "team": rules.team if rules else None,
            "rules": rules.house_rule_count() if rules else 0,
            "loaded_at": self.loaded_at.isoformat(timespec="seconds") if self.loaded_at else None,
            "error": str(self.error) if self.error else None,
            "problems": [{"line": line, "message": what} for line, what in self.error.problems] if self.error else [],
        }


def watch_house_rules(app) -> None:
    """Serve the house rules at app.config["HOUSE_RULES"] (`serve --house-rules PATH`), if set."""
    if app.config.get("HOUSE_RULES"):
        app.extensions[APP_EXTENSION] = HouseRulesFile(app.config["HOUSE_RULES"])


def current_house_rules() -> HouseRules | None:
    """The serving app's house rules in force (None without a house-rules file)."""
    source = current_app.extensions.get(APP_EXTENSION)
    return source.current() if source else None
