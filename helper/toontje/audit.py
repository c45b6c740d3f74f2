"""`toontje audit FILE`: check an export of past replies and write a report the team can read.

Reads CSV (Excel's `;` or `,`, with or without a BOM, quoted newlines) or JSONL, runs every
reply through analyze(), and writes a self-contained HTML report (and optionally the same
data as JSON). Rows that cannot be checked are counted and listed by line number; one bad
row never stops the audit. Exit code 1 when any reply is `warn`, so a batch of scheduled
posts can be gated on it.

Reply text only ever goes into the report file the user asked for; nothing is logged.
"""

from __future__ import annotations

import argparse
import codecs
import csv
import heapq
import html
import json
import os
import sys
import time
from collections import Counter, deque
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from importlib import resources
from itertools import chain, islice
from pathlib import Path
from typing import IO, Iterator

from . import __version__
from .analysis import Context
from .house_rules import HouseRules, HouseRulesError, analyze_with, load_house_rules
from .text import utf16_offset

# Same limit as POST /v1/analyze: longer texts are not webcare replies but pasted documents.
MAX_REPLY_CHARS = 10_000

EXIT_OK = 0
EXIT_WARN = 1
EXIT_USAGE = 2

# Replies per unit of work: small enough for a smooth progress bar, large enough that
# handing a batch to a worker process costs little next to analysing it.
BATCH_SIZE = 200
EXAMPLES_PER_FINDING = 3
FREQUENT_FINDINGS_SHOWN = 15
REPLIES_NEEDING_A_LOOK = 25

_JSONL_SUFFIXES = {".jsonl", ".ndjson", ".json"}
_DELIMITERS = (";", ",", "\t")
_NO_DELIMITER = "\x1f"  # ASCII unit separator: never in a reply
# Dutch exports write day-first dates; ISO dates are tried first by fromisoformat.
_DATE_FORMATS = ("%d-%m-%Y", "%d/%m/%Y", "%d.%m.%Y", "%Y/%m/%d", "%d-%m-%y", "%d/%m/%y")


BROKEN_ENCODING = "broken encoding (not UTF-8)"


class AuditUsageError(Exception):
    """The file or the options cannot work at all (exit code 2), as opposed to one bad row."""


@dataclass
class Reply:
    line: int
    text: str
    author: str | None = None
    comment: str | None = None
    agent: str | None = None
    date_text: str | None = None
    last_line: int | None = None  # a CSV row with quoted newlines spans several lines


@dataclass
class BadRow:
    line: int
    reason: str
    last_line: int | None = None

    def to_json(self) -> dict:
        data = {"line": self.line, "reason": self.reason}
        if self.last_line and self.last_line != self.line:
            data["last_line"] = self.last_line
        return data


@dataclass
class Columns:
    text: str = "text"
    author: str | None = None
    comment: str | None = None
    agent: str | None = None
    date: str | None = None


# ---------------------------------------------------------------------------------------------
# Reading


class _LineDecoder:
    """Decodes a binary file line by line, so one badly encoded line spoils only its own row."""

    def __init__(self, binary: IO[bytes]):
        self._binary = binary
        self.last_bad_line = 0  # lines are read in order, so the latest is all a row needs to know
        self.line_number = 0
        self.bytes_read = 0

    def __iter__(self) -> Iterator[str]:
        for raw in self._binary:
            self.line_number += 1
            self.bytes_read += len(raw)
            if self.line_number == 1 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8):]
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError:
                self.last_bad_line = self.line_number
                yield raw.decode("utf-8", errors="replace")

    def broken_since(self, first_line: int) -> bool:
        """Whether a line from `first_line` up to the one just read was not UTF-8."""
        return self.last_bad_line >= first_line


def _sniff_delimiter(header_line: str) -> str:
    counts = {delimiter: 0 for delimiter in _DELIMITERS}
    in_quotes = False
    for char in header_line:
        if char == '"':
            in_quotes = not in_quotes
        elif not in_quotes and char in counts:
            counts[char] += 1
    best = max(_DELIMITERS, key=lambda delimiter: counts[delimiter])
    # A header without any delimiter means a single column: then nothing may split a row,
    # not even the commas in the replies themselves.
    return best if counts[best] else _NO_DELIMITER


def _find_column(header: list[str], wanted: str | None, option: str) -> int | None:
    if wanted is None:
        return None
    normalised = [name.strip().lower() for name in header]
    try:
        return normalised.index(wanted.strip().lower())
    except ValueError:
        available = ", ".join(repr(name) for name in header) or "none"
        raise AuditUsageError(f"{option} {wanted!r}: no such column; the header has {available}") from None


def read_csv(columns: Columns, decoder: _LineDecoder) -> Iterator[Reply | BadRow]:
    lines = iter(decoder)
    header_line = next(lines, None)
    if header_line is None:
        raise AuditUsageError("the file is empty; a CSV export needs a header line")
    delimiter = _sniff_delimiter(header_line)
    header = next(csv.reader([header_line], delimiter=delimiter))
    text_index = _find_column(header, columns.text, "--text-column")
    author_index = _find_column(header, columns.author, "--author-column")
    comment_index = _find_column(header, columns.comment, "--comment-column")
    agent_index = _find_column(header, columns.agent, "--agent-column")
    date_index = _find_column(header, columns.date, "--date-column")

    def cell(row: list[str], index: int | None) -> str | None:
        if index is None or index >= len(row):
            return None
        return row[index].strip() or None

    reader = csv.reader(lines, delimiter=delimiter)
    while True:
        first_line = decoder.line_number + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield BadRow(first_line, f"not readable as CSV ({error})", decoder.line_number)
            continue
        last_line = decoder.line_number
        if decoder.broken_since(first_line):
            yield BadRow(first_line, BROKEN_ENCODING, last_line)
            continue
        if not row or all(not value.strip() for value in row):
            yield BadRow(first_line, "empty line", last_line)
            continue
        if text_index >= len(row):
            yield BadRow(first_line, f"only {len(row)} of {len(header)} columns; no reply text", last_line)
            continue
        if len(row) > len(header):
            # Most likely the reply holds the delimiter without quotes: its text would be cut.
            yield BadRow(first_line, f"{len(row)} columns where the header has {len(header)}; "
                                     f"is a {delimiter!r} in the reply not quoted?", last_line)
            continue
        yield Reply(
            line=first_line,
            text=row[text_index],
            author=cell(row, author_index),
            comment=cell(row, comment_index),
            agent=cell(row, agent_index),
            date_text=cell(row, date_index),
            last_line=last_line,
        )


def read_jsonl(columns: Columns, decoder: _LineDecoder) -> Iterator[Reply | BadRow]:
    for text_line in decoder:
        line = decoder.line_number
        if decoder.broken_since(line):
            yield BadRow(line, BROKEN_ENCODING)
            continue
        if not text_line.strip():
            yield BadRow(line, "empty line")
            continue
        try:
            record = json.loads(text_line)
        except json.JSONDecodeError as error:
            yield BadRow(line, f"not valid JSON ({error.msg} at column {error.colno})")
            continue
        if not isinstance(record, dict):
            yield BadRow(line, "not a JSON object")
            continue
        text = record.get(columns.text)
        if not isinstance(text, str):
            yield BadRow(line, f"no string field {columns.text!r}")
            continue
        context = record.get("context") if isinstance(record.get("context"), dict) else {}
        yield Reply(
            line=line,
            text=text,
            author=_jsonl_value(record, columns.author, context.get("author")),
            comment=_jsonl_value(record, columns.comment, context.get("comment")),
            agent=_jsonl_value(record, columns.agent),
            date_text=_jsonl_value(record, columns.date),
        )


def _jsonl_value(record: dict, name: str | None, fallback: object = None) -> str | None:
    """A text field of a JSONL record (numbers, such as agent ids, count as text)."""
    value = record.get(name) if name else None
    if value is None:
        value = fallback
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    return (value.strip() or None) if isinstance(value, str) else None


def _looks_like_jsonl(path: Path) -> bool:
    if path.suffix.lower() in _JSONL_SUFFIXES:
        return True
    with path.open("rb") as probe:
        start = probe.read(64).removeprefix(codecs.BOM_UTF8).lstrip()
    return start.startswith(b"{")


# ---------------------------------------------------------------------------------------------
# Aggregation


@lru_cache(maxsize=4096)  # an export repeats the same dates many times
def week_of(date_text: str | None) -> str | None:
    """ISO week ("2026-W47") of an export's date cell, or None when it cannot be read."""
    if not date_text:
        return None
    candidate = date_text.strip()
    day: date | None = None
    try:
        day = datetime.fromisoformat(candidate).date()
    except ValueError:
        date_part = candidate.split(" ", 1)[0]  # "23-11-2026 09:15": the time does not matter
        for date_format in _DATE_FORMATS:
            try:
                day = datetime.strptime(date_part, date_format).date()
                break
            except ValueError:
                continue
    if day is None:
        return None
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _verdict_counts() -> dict[str, int]:
    return {"ok": 0, "review": 0, "warn": 0}


@dataclass
class AuditResult:
    """Everything the report shows, built up one reply at a time (memory stays flat)."""

    source: str
    replies: int = 0
    verdicts: dict = field(default_factory=_verdict_counts)
    languages: Counter = field(default_factory=Counter)
    category_findings: Counter = field(default_factory=Counter)
    category_replies: Counter = field(default_factory=Counter)
    category_severity: dict = field(default_factory=dict)
    rule_counts: Counter = field(default_factory=Counter)
    rule_info: dict = field(default_factory=dict)
    rule_examples: dict = field(default_factory=dict)
    agents: dict = field(default_factory=dict)
    weeks: dict = field(default_factory=dict)
    undated: int = 0
    has_agents: bool = False  # an agent column was given: every reply goes in the per-agent table
    has_dates: bool = False
    bad_rows: list = field(default_factory=list)
    # Min-heap of (score, -line, entry): the lowest-scoring of the kept replies is dropped first.
    _worst: list = field(default_factory=list)
    seconds: float = 0.0

    def add(self, reply: Reply, analysis) -> None:
        self.replies += 1
        verdict = analysis.verdict
        self.verdicts[verdict] += 1
        self.languages[analysis.lang] += 1

        categories_here = set()
        for finding in analysis.findings:
            rule_id = finding.rule
            self.category_findings[finding.category] += 1
            self.category_severity.setdefault(finding.category, finding.severity)
            categories_here.add(finding.category)
            self.rule_counts[rule_id] += 1
            if rule_id not in self.rule_info:
                self.rule_info[rule_id] = {
                    "category": finding.category,
                    "severity": finding.severity,
                    "message": finding.message,
                }
            examples = self.rule_examples.setdefault(rule_id, [])
            if len(examples) < EXAMPLES_PER_FINDING and all(example["line"] != reply.line for example in examples):
                examples.append(_example(reply, finding))
        self.category_replies.update(categories_here)

        if self.has_agents:
            agent_stats = self.agents.setdefault(
                reply.agent or "(no agent)", {**_verdict_counts(), "categories": Counter()}
            )
            agent_stats[verdict] += 1
            agent_stats["categories"].update(categories_here)
        if self.has_dates:
            week = week_of(reply.date_text)
            if week is None:
                self.undated += 1
            else:
                self.weeks.setdefault(week, _verdict_counts())[verdict] += 1

        if analysis.findings:
            key = (analysis.score, -reply.line)
            if len(self._worst) < REPLIES_NEEDING_A_LOOK:
                heapq.heappush(self._worst, (key, _needs_a_look(reply, analysis)))
            elif key > self._worst[0][0]:
                heapq.heapreplace(self._worst, (key, _needs_a_look(reply, analysis)))

    def needs_a_look(self) -> list[dict]:
        return [entry for _, entry in sorted(self._worst, key=lambda item: item[0], reverse=True)]

    def frequent_findings(self) -> list[dict]:
        return [
            {"rule": rule_id, **self.rule_info[rule_id], "count": count, "examples": self.rule_examples[rule_id]}
            for rule_id, count in self.rule_counts.most_common(FREQUENT_FINDINGS_SHOWN)
        ]

    def to_json(self) -> dict:
        categories = [
            {
                "category": category,
                "severity": self.category_severity[category],
                "findings": count,
                "replies": self.category_replies[category],
            }
            for category, count in sorted(
                self.category_findings.items(), key=lambda item: (-self.category_replies[item[0]], -item[1], item[0])
            )
        ]
        agents = None
        if self.has_agents:
            agents = [
                {
                    "agent": name,
                    "replies": stats["ok"] + stats["review"] + stats["warn"],
                    "ok": stats["ok"],
                    "review": stats["review"],
                    "warn": stats["warn"],
                    "top_categories": [category for category, _ in stats["categories"].most_common(3)],
                }
                for name, stats in sorted(self.agents.items(), key=lambda item: (-item[1]["warn"], item[0]))
            ]
        weeks = None
        if self.has_dates:
            weeks = [
                {"week": week, "replies": sum(counts.values()), **counts} for week, counts in sorted(self.weeks.items())
            ]
        return {
            "source": self.source,
            "generated": datetime.now().astimezone().isoformat(timespec="seconds"),
            "toontje_version": __version__,
            "offsets": "start/end count UTF-16 code units, as in the HTTP API",
            "replies": self.replies,
            "verdicts": dict(self.verdicts),
            "languages": dict(self.languages),
            "categories": categories,
            "agents": agents,
            "weeks": weeks,
            "undated_replies": self.undated if self.has_dates else None,
            "frequent_findings": self.frequent_findings(),
            "needs_a_look": self.needs_a_look(),
            "bad_rows": {"count": len(self.bad_rows), "rows": [bad.to_json() for bad in self.bad_rows]},
            "seconds": round(self.seconds, 3),
        }


def _span(text: str, start: int, end: int) -> dict:
    return {"start": utf16_offset(text, start), "end": utf16_offset(text, end)}


def _example(reply: Reply, finding) -> dict:
    return {"line": reply.line, "text": reply.text, **_span(reply.text, finding.start, finding.end)}


def _needs_a_look(reply: Reply, analysis) -> dict:
    return {
        "line": reply.line,
        "score": analysis.score,
        "verdict": analysis.verdict,
        "lang": analysis.lang,
        "agent": reply.agent,
        "text": reply.text,
        "findings": [
            {
                "rule": finding.rule,
                "category": finding.category,
                "severity": finding.severity,
                "message": finding.message,
                **_span(reply.text, finding.start, finding.end),
            }
            for finding in analysis.findings
        ],
    }

# ---------------------------------------------------------------------------------------------
# The HTML report: one file, inline CSS and inline SVG, every piece of text escaped.

_VERDICT_COLOURS = {"ok": "#2e7d4f", "review": "#b7791f", "warn": "#c0392b"}


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _index_from_utf16(text: str, offset: int) -> int:
    units = 0
    for index, char in enumerate(text):
        if units >= offset:
            return index
        units += 2 if ord(char) > 0xFFFF else 1
    return len(text)


def _highlighted(text: str, spans: list[dict]) -> str:
    """The reply, escaped, with each flagged stretch in a <mark> (overlapping ones merged)."""
    ranges = sorted(
        (_index_from_utf16(text, span["start"]), _index_from_utf16(text, span["end"]), span.get("category", ""))
        for span in spans
        if span["end"] > span["start"]
    )
    merged: list[list] = []
    for start, end, category in ranges:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end, category])
    pieces, position = [], 0
    for start, end, category in merged:
        pieces.append(_e(text[position:start]))
        pieces.append(f'<mark title="{_e(category)}">{_e(text[start:end])}</mark>')
        position = end
    pieces.append(_e(text[position:]))
    return "".join(pieces)


def _bar_chart(rows: list[tuple[str, int, str]], unit: str) -> str:
    """Horizontal bars: (label, value, colour) per row."""
    if not rows:
        return '<p class="none">Nothing to show.</p>'
    label_width, bar_width, row_height = 190, 360, 24
    largest = max(value for _, value, _ in rows) or 1
    height = row_height * len(rows) + 4
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {label_width + bar_width + 70} {height}" '
             f'width="{label_width + bar_width + 70}" height="{height}" aria-label="{_e(unit)}">']
    for number, (label, value, colour) in enumerate(rows):
        y = number * row_height + 2
        width = max(round(value / largest * bar_width), 1 if value else 0)
        parts.append(
            f'<text x="{label_width - 8}" y="{y + 16}" text-anchor="end">{_e(label)}</text>'
            f'<rect x="{label_width}" y="{y + 3}" width="{width}" height="{row_height - 8}" fill="{colour}">'
            f'<title>{_e(label)}: {value:,} {_e(unit)}</title></rect>'
            f'<text x="{label_width + width + 6}" y="{y + 16}">{value:,}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _stacked_columns(columns: list[tuple[str, dict]]) -> str:
    """Vertical bars stacked ok/review/warn, one per week."""
    if not columns:
        return '<p class="none">No dates could be read.</p>'
    column_width, gap, chart_height, top, bottom = 34, 10, 180, 14, 64
    largest = max(sum(counts[v] for v in _VERDICT_COLOURS) for _, counts in columns) or 1
    width = len(columns) * (column_width + gap) + gap + 40
    height = top + chart_height + bottom
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
             f'aria-label="replies per week by verdict">',
             f'<text x="0" y="{top + 4}">{largest:,}</text>',
             f'<line x1="36" y1="{top + chart_height}" x2="{width}" y2="{top + chart_height}" class="axis"/>']
    for number, (label, counts) in enumerate(columns):
        x = 40 + gap + number * (column_width + gap)
        base = top + chart_height
        for verdict in ("ok", "review", "warn"):
            value = counts[verdict]
            bar = round(value / largest * chart_height)
            if bar:
                base -= bar
                parts.append(f'<rect x="{x}" y="{base}" width="{column_width}" height="{bar}" '
                             f'fill="{_VERDICT_COLOURS[verdict]}"><title>{_e(label)}: {value:,} {verdict}</title></rect>')
        label_x, label_y = x + column_width / 2 + 4, top + chart_height + 12
        parts.append(f'<text class="tick" x="{label_x}" y="{label_y}" text-anchor="end" '
                     f'transform="rotate(-45 {label_x} {label_y})">{_e(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _verdict_strip(counts: dict, width: int = 120) -> str:
    total = sum(counts[verdict] for verdict in _VERDICT_COLOURS) or 1
    parts, x = [f'<svg class="strip" width="{width}" height="12" viewBox="0 0 {width} 12" aria-hidden="true">'], 0.0
    for verdict, colour in _VERDICT_COLOURS.items():
        bar = counts[verdict] / total * width
        if bar:
            parts.append(f'<rect x="{x:.1f}" y="0" width="{bar:.1f}" height="12" fill="{colour}"/>')
        x += bar
    parts.append("</svg>")
    return "".join(parts)


def _finding_list(findings: list[dict]) -> str:
    return "".join(f"<li>{_e(finding['message'])} <code>{_e(finding['rule'])}</code></li>" for finding in findings)


def _css() -> str:
    return resources.files("toontje").joinpath("static/report.css").read_text(encoding="utf-8")


def render_report(data: dict) -> str:
    """The whole report as one HTML document that needs nothing but a browser."""
    verdicts = data["verdicts"]
    total = data["replies"]
    sections = []

    cards = "".join(
        f'<div class="card {verdict}"><span class="number">{verdicts[verdict]:,}</span>'
        f'<span class="label">{verdict}</span>'
        f'<span class="share">{(verdicts[verdict] / total if total else 0):.0%}</span></div>'
        for verdict in ("warn", "review", "ok")
    )
    bad_count = data["bad_rows"]["count"]
    bad_card = (f'<div class="card bad"><span class="number">{bad_count:,}</span><span class="label">bad rows</span>'
                f'<span class="share"><a href="#bad-rows">listed below</a></span></div>')
    sections.append(f'<section><h2>Verdicts</h2><div class="cards">{cards}{bad_card}</div></section>')

    category_rows = [(row["category"], row["replies"], _VERDICT_COLOURS[row["severity"]]) for row in data["categories"]]
    sections.append(
        "<section><h2>Findings per category</h2>"
        '<p class="hint">Replies with at least one finding in the category; '
        "red ones escalate, amber ones are missed chances.</p>"
        f"{_bar_chart(category_rows, 'replies')}</section>"
    )

    if data["weeks"] is not None:
        week_columns = [(week["week"], week) for week in data["weeks"]]
        undated = data["undated_replies"]
        note = f'<p class="hint">{undated:,} replies had a date that could not be read.</p>' if undated else ""
        legend = "".join(f'<span class="key" style="background:{colour}"></span>{verdict} '
                         for verdict, colour in _VERDICT_COLOURS.items())
        sections.append(
            f'<section><h2>Per week</h2><p class="legend">{legend}</p>{_stacked_columns(week_columns)}{note}</section>'
        )

    if data["agents"] is not None:
        rows = "".join(
            f"<tr><td>{_e(agent['agent'])}</td><td class='n'>{agent['replies']:,}</td>"
            f"<td class='n warn'>{agent['warn']:,}</td><td class='n review'>{agent['review']:,}</td>"
            f"<td class='n'>{agent['ok']:,}</td><td>{_verdict_strip(agent)}</td>"
            f"<td>{_e(', '.join(agent['top_categories']))}</td></tr>"
            for agent in data["agents"]
        )
        sections.append(
            "<section><h2>Per agent</h2><table><thead><tr><th>agent</th><th>replies</th><th>warn</th>"
            f"<th>review</th><th>ok</th><th></th><th>most frequent</th></tr></thead><tbody>{rows}</tbody></table></section>"
        )

    findings = []
    for finding in data["frequent_findings"]:
        examples = "".join(
            f'<li><span class="line">line {example["line"]}</span> '
            f'<q>{_highlighted(example["text"], [dict(example, category=finding["category"])])}</q></li>'
            for example in finding["examples"]
        )
        findings.append(
            f'<article class="finding {_e(finding["severity"])}"><h3><span class="count">{finding["count"]:,}×</span> '
            f'{_e(finding["message"])}</h3><p class="meta"><code>{_e(finding["rule"])}</code> · '
            f'{_e(finding["category"])} · {_e(finding["severity"])}</p><ul>{examples}</ul></article>'
        )
    sections.append("<section><h2>Most frequent findings</h2>"
                    + ("".join(findings) or '<p class="none">No findings at all.</p>') + "</section>")

    look_rows = "".join(
        f'<tr class="{_e(entry["verdict"])}"><td class="n">{entry["line"]}</td><td class="n">{entry["score"]}</td>'
        f'<td>{_e(entry["verdict"])}</td><td>{_e(entry["agent"] or "")}</td>'
        f'<td><div class="reply">{_highlighted(entry["text"], entry["findings"])}</div>'
        f'<ul class="why">{_finding_list(entry["findings"])}</ul></td></tr>'
        for entry in data["needs_a_look"]
    )
    sections.append(
        "<section><h2>Replies that most need a look</h2>"
        + (f'<table class="look"><thead><tr><th>line</th><th>score</th><th>verdict</th><th>agent</th><th>reply</th>'
           f"</tr></thead><tbody>{look_rows}</tbody></table>" if look_rows else '<p class="none">None.</p>')
        + "</section>"
    )

    bad_rows = "".join(
        f"<tr><td class='n'>{row['line']}{'–' + str(row['last_line']) if 'last_line' in row else ''}</td>"
        f"<td>{_e(row['reason'])}</td></tr>"
        for row in data["bad_rows"]["rows"]
    )
    sections.append(
        f'<section id="bad-rows"><h2>Bad rows ({bad_count:,})</h2>'
        + (f"<p class='hint'>These rows were not checked. Line numbers count from the header line as 1.</p>"
           f"<table><thead><tr><th>line</th><th>why</th></tr></thead><tbody>{bad_rows}</tbody></table>"
           if bad_rows else '<p class="none">Every row could be checked.</p>')
        + "</section>"
    )

    languages = ", ".join(f"{count:,} {_e(lang)}" for lang, count in data["languages"].items())
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        # The report holds real replies: forbid anything from being fetched, even by accident.
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        f"<title>Toontje audit: {_e(data['source'])}</title><style>{_css()}</style></head><body>"
        f"<header><h1>Toontje audit of <span class='file'>{_e(data['source'])}</span></h1>"
        f"<p>{total:,} replies checked ({languages}) on {_e(data['generated'])} by toontje {_e(data['toontje_version'])}. "
        "This report contains reply text: keep it on this machine.</p></header>"
        f"<main>{''.join(sections)}</main></body></html>\n"
    )


# ---------------------------------------------------------------------------------------------
# Running


class _Progress:
    """A one-line progress bar on a terminal; silent when stderr is a file or a pipe."""

    WIDTH = 28

    def __init__(self, stream: IO[str], total_bytes: int, enabled: bool):
        self.stream = stream
        self.total_bytes = max(total_bytes, 1)
        self.enabled = enabled
        self.started = time.perf_counter()
        self._last_drawn = 0.0

    def update(self, bytes_read: int, replies: int, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if not force and now - self._last_drawn < 0.1:
            return
        self._last_drawn = now
        elapsed = max(now - self.started, 1e-9)
        fraction = min(bytes_read / self.total_bytes, 1.0)
        filled = int(fraction * self.WIDTH)
        rate = replies / elapsed
        left = elapsed * (1 - fraction) / fraction if fraction > 0 else 0.0
        self.stream.write(
            f"\r[{'#' * filled}{'.' * (self.WIDTH - filled)}] {fraction:4.0%}  "
            f"{replies:,} replies  {rate:,.0f}/s  {_duration(left)} left "
        )
        self.stream.flush()

    def finish(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()


def _duration(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds + 0.5), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def _analyse_reply(reply: Reply, lang: str, house_rules: HouseRules | None):
    context = Context(comment=reply.comment, author=reply.author) if (reply.comment or reply.author) else None
    return analyze_with(house_rules, reply.text, lang=lang, context=context)


def _analyse_batch(replies: list[Reply], lang: str, house_rules: HouseRules | None) -> list:
    """An Analysis per reply, or the name of the exception for a reply the analyser tripped over."""
    analyses = []
    for reply in replies:
        try:
            analyses.append(_analyse_reply(reply, lang, house_rules))
        except Exception as error:  # one reply that trips the analyser must not end the audit
            analyses.append(type(error).__name__)
    return analyses


_worker_settings: tuple[str, HouseRules | None] = ("auto", None)


def _start_worker(lang: str, house_rules: HouseRules | None) -> None:
    global _worker_settings
    _worker_settings = (lang, house_rules)


def _worker_batch(replies: list[Reply]) -> list:
    return _analyse_batch(replies, *_worker_settings)


def _checkable(rows: Iterator[Reply | BadRow]) -> Iterator[Reply | BadRow]:
    """The rows, with empty and over-long replies turned into bad rows."""
    for row in rows:
        if isinstance(row, Reply) and not row.text.strip():
            yield BadRow(row.line, "empty reply", row.last_line)
        elif isinstance(row, Reply) and len(row.text) > MAX_REPLY_CHARS:
            reason = f"too long ({len(row.text):,} characters, the limit is {MAX_REPLY_CHARS:,})"
            if row.text.count("\n") > 50:
                reason += "; maybe a quote that is never closed"
            yield BadRow(row.line, reason, row.last_line)
        else:
            yield row


def _batches(rows: Iterator[Reply | BadRow]) -> Iterator[list[Reply | BadRow]]:
    batch: list[Reply | BadRow] = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH_SIZE:
            yield batch
            batch = []
    if batch:
        yield batch


def _replies(batch: list[Reply | BadRow]) -> list[Reply]:
    return [row for row in batch if isinstance(row, Reply)]


def _analysed_batches(rows, lang: str, house_rules: HouseRules | None, jobs: int):
    """(batch of rows, analyses of its replies) in file order, on `jobs` worker processes."""
    batches = _batches(rows)
    opening = list(islice(batches, 2))
    if jobs <= 1 or len(opening) < 2:
        # One batch or one core: starting worker processes would cost more than it saves.
        for batch in chain(opening, batches):
            yield batch, _analyse_batch(_replies(batch), lang, house_rules)
        return
    with ProcessPoolExecutor(jobs, initializer=_start_worker, initargs=(lang, house_rules)) as pool:
        # A few batches in flight per worker keeps them busy while memory stays bounded.
        in_flight: deque = deque()
        for batch in chain(opening, batches):
            in_flight.append((batch, pool.submit(_worker_batch, _replies(batch))))
            if len(in_flight) > 3 * jobs:
                done, future = in_flight.popleft()
                yield done, future.result()
        while in_flight:
            done, future = in_flight.popleft()
            yield done, future.result()


def run_audit(
    path: Path,
    columns: Columns,
    lang: str = "auto",
    file_format: str = "auto",
    progress_stream: IO[str] | None = None,
    house_rules: HouseRules | None = None,
    jobs: int = 1,
) -> AuditResult:
    """Audit one export file. Raises AuditUsageError when the file cannot be audited at all.

    `jobs` > 1 analyses on that many worker processes; the result is the same as with 1.
    """
    if not path.is_file():
        raise AuditUsageError(f"{path}: no such file")
    is_jsonl = file_format == "jsonl" or (file_format == "auto" and _looks_like_jsonl(path))
    stream = progress_stream if progress_stream is not None else sys.stderr
    progress = _Progress(stream, path.stat().st_size, enabled=stream.isatty())
    result = AuditResult(source=path.name, has_agents=columns.agent is not None, has_dates=columns.date is not None)
    started = time.perf_counter()
    with path.open("rb") as binary:
        decoder = _LineDecoder(binary)
        rows = _checkable(read_jsonl(columns, decoder) if is_jsonl else read_csv(columns, decoder))
        for batch, analyses in _analysed_batches(rows, lang, house_rules, jobs):
            analysis_of_next_reply = iter(analyses)
            for row in batch:
                if isinstance(row, BadRow):
                    result.bad_rows.append(row)
                    continue
                analysis = next(analysis_of_next_reply)
                if isinstance(analysis, str):
                    result.bad_rows.append(BadRow(row.line, f"could not be analysed ({analysis})", row.last_line))
                else:
                    result.add(row, analysis)
            progress.update(decoder.bytes_read, result.replies)
        progress.update(decoder.bytes_read, result.replies, force=True)
    progress.finish()
    result.seconds = time.perf_counter() - started
    return result


def _positive_int(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number of at least 1")
    return int(value)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The `toontje audit` options; cli.py builds the sub-command with this."""
    parser.add_argument("file", type=Path, help="CSV (with a header, ';' or ',') or JSONL export of past replies")
    parser.add_argument("-o", "--output", type=Path, default=Path("toontje-report.html"),
                        help="where to write the HTML report (default: toontje-report.html)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the report's data as JSON")
    parser.add_argument("--text-column", metavar="NAME", default="text",
                        help="column (or JSONL field) with the reply (default: text)")
    parser.add_argument("--author-column", metavar="NAME",
                        help="column with the customer's name (for missing-name and the greeting)")
    parser.add_argument("--comment-column", metavar="NAME", help="column with the customer's comment being answered")
    parser.add_argument("--agent-column", metavar="NAME",
                        help="column with the agent who wrote the reply (adds a per-agent table)")
    parser.add_argument("--date-column", metavar="NAME", help="column with the reply's date (adds a per-week chart)")
    parser.add_argument("--format", choices=("auto", "csv", "jsonl"), default="auto",
                        help="file format (default: from the extension or the first character)")
    parser.add_argument("--lang", choices=("auto", "nl", "en"), default="auto", help="language of the replies")
    parser.add_argument("--house-rules", type=Path, metavar="PATH", help="the team's house-rules TOML file")
    parser.add_argument("--jobs", metavar="N", type=_positive_int, default=os.cpu_count() or 1,
                        help="worker processes for analysing (default: one per CPU)")
    parser.epilog = "Exit code: 0 when no reply is warn, 1 when any reply is warn, 2 for bad usage."


def run(args: argparse.Namespace) -> int:
    """`toontje audit` with parsed arguments; returns the exit code."""
    out, err = sys.stdout, sys.stderr
    columns = Columns(
        text=args.text_column,
        author=args.author_column,
        comment=args.comment_column,
        agent=args.agent_column,
        date=args.date_column,
    )
    try:
        house_rules = load_house_rules(args.house_rules) if args.house_rules else None
        result = run_audit(
            args.file, columns, lang=args.lang, file_format=args.format, progress_stream=err,
            house_rules=house_rules, jobs=args.jobs,
        )
    except (AuditUsageError, HouseRulesError) as error:
        err.write(f"toontje audit: error: {error}\n")
        return EXIT_USAGE

    data = result.to_json()
    try:
        args.output.write_text(render_report(data), encoding="utf-8")
        if args.json:
            args.json.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    except OSError as error:
        err.write(f"toontje audit: error: cannot write the report: {error}\n")
        return EXIT_USAGE

    verdicts = data["verdicts"]
    out.write(
        f"{data['replies']:,} replies checked in {result.seconds:.1f} s: "
        f"{verdicts['warn']:,} warn, {verdicts['review']:,} review, {verdicts['ok']:,} ok; "
        f"{len(result.bad_rows):,} bad rows\n"
    )
    for bad in result.bad_rows[:10]:
        out.write(f"  line {bad.line}: {bad.reason}\n")
    if len(result.bad_rows) > 10:
        out.write(f"  ... and {len(result.bad_rows) - 10:,} more, all listed in the report\n")
    if any(bad.reason == BROKEN_ENCODING for bad in result.bad_rows):
        out.write("  Rows that are not UTF-8: save the export as UTF-8 (Excel: 'CSV UTF-8') and run the audit again.\n")
    out.write(f"report: {os.fspath(args.output)}\n")
    if args.json:
        out.write(f"data: {os.fspath(args.json)}\n")
    return EXIT_WARN if verdicts["warn"] else EXIT_OK
