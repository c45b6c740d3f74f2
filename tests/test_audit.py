"""`toontje audit FILE` (issue 4, part 1): reading exports, bad rows, the report, exit codes."""

import io
import json
from html.parser import HTMLParser

import pytest

from toontje.audit import Columns, run_audit, week_of
from toontje.cli import main

# Blames the customer and defends the company: the catalogue warns on these.
RISKY_NL = "Dat is niet onze schuld. Als u de handleiding had gelezen, had u dit probleem niet gehad!!!"
RISKY_EN = "That is not our fault. If you had read the manual, you would not have this problem!!!"
THANKS_NL = "Dank je wel, Eva! Wat leuk om te horen."
CALM_NL = (
    "Hoi Sanne, wat vervelend dat je pakket nog niet binnen is. Wil je je ordernummer in een "
    "privébericht sturen? Dan zoeken we het meteen voor je uit."
)
SCRIPT = "<script>alert('x')</script>"


def write_csv(path, rows, delimiter=";", bom=False, newline="\r\n"):
    """rows are lists of cells; cells with the delimiter, quotes or newlines get quoted."""
    lines = []
    for row in rows:
        cells = []
        for cell in row:
            if any(char in cell for char in (delimiter, '"', "\n")):
                cell = '"' + cell.replace('"', '""') + '"'
            cells.append(cell)
        lines.append(delimiter.join(cells))
    data = newline.join(lines) + newline
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data.encode("utf-8"))
    return path


def audit(tmp_path, *arguments):
    report = tmp_path / "report.html"
    data = tmp_path / "report.json"
    code = main(["audit", *map(str, arguments), "-o", str(report), "--json", str(data)])
    return code, report.read_text(encoding="utf-8"), json.loads(data.read_text(encoding="utf-8"))


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.references = []
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for name, value in attrs:
            if name in ("src", "href", "action", "srcset", "poster", "data") and value:
                self.references.append(value)


# --- reading ----------------------------------------------------------------------------------


def test_excel_csv_with_semicolons_bom_and_quoted_newlines(tmp_path):
    export = write_csv(
        tmp_path / "export.csv",
        [
            ["id", "Antwoord", "Medewerker", "Datum"],
            ["1", RISKY_NL, "Piet", "02-11-2026"],
            ["2", "Hoi Sanne,\nwat vervelend!\nStuur ons een DM; dan kijken we mee.", "Kees", "2026-11-10 14:02"],
            ["3", THANKS_NL, "Kees", "10/11/2026"],
        ],
        delimiter=";",
        bom=True,
    )
    code, html, data = audit(tmp_path, export, "--text-column", "antwoord", "--agent-column", "Medewerker",
                             "--date-column", "Datum")
    assert code == 1
    assert data["replies"] == 3 and data["bad_rows"]["count"] == 0
    assert data["verdicts"]["warn"] == 1
    agents = {agent["agent"]: agent for agent in data["agents"]}
    assert agents["Piet"]["warn"] == 1 and agents["Kees"]["replies"] == 2
    assert [week["week"] for week in data["weeks"]] == ["2026-W45", "2026-W46"]
    # The reply with quoted newlines is one reply that starts on line 3; the next one is on line 6.
    lines = {entry["line"] for entry in data["needs_a_look"]}
    assert 2 in lines
    assert data["needs_a_look"][0]["line"] == 2 and data["needs_a_look"][0]["verdict"] == "warn"


def test_comma_csv_without_bom(tmp_path):
    export = write_csv(tmp_path / "export.csv", [["text", "author"], [RISKY_EN, "John Smith"], [CALM_NL, "Sanne"]],
                       delimiter=",", newline="\n")
    code, _, data = audit(tmp_path, export, "--author-column", "author")
    assert code == 1
    assert data["replies"] == 2 and data["verdicts"]["warn"] == 1
    assert data["agents"] is None and data["weeks"] is None


def test_jsonl_with_context(tmp_path):
    export = tmp_path / "replies.jsonl"
    records = [
        {"text": RISKY_NL, "context": {"author": "Sanne de Boer", "comment": "Mijn pakket is kapot!"}},
        {"text": THANKS_NL, "agent": "Piet"},
    ]
    export.write_text("\n".join(json.dumps(record, ensure_ascii=False) for record in records) + "\n", encoding="utf-8")
    code, _, data = audit(tmp_path, export, "--agent-column", "agent")
    assert code == 1
    assert data["replies"] == 2 and data["verdicts"]["warn"] == 1
    assert {agent["agent"] for agent in data["agents"]} == {"(no agent)", "Piet"}


def test_no_warn_means_exit_code_0(tmp_path):
    export = write_csv(tmp_path / "export.csv", [["text"], [THANKS_NL], [CALM_NL]])
    code, _, data = audit(tmp_path, export)
    assert code == 0
    assert data["verdicts"]["warn"] == 0 and data["replies"] == 2


# --- bad rows ---------------------------------------------------------------------------------


def test_bad_rows_are_listed_with_line_numbers_and_do_not_stop_the_audit(tmp_path, capsys):
    lines = [
        "text;agent".encode(),
        f"{RISKY_NL};Piet".encode(),  # line 2
        ";Kees".encode(),  # line 3: empty reply
        "Kapot \xff\xfe bericht;Kees".encode("latin-1"),  # line 4: not UTF-8
        ("x" * 10_001 + ";Kees").encode(),  # line 5: too long
        b"",  # line 6: empty line
        f"{THANKS_NL};Kees".encode(),  # line 7: still read
    ]
    export = tmp_path / "export.csv"
    export.write_bytes(b"\n".join(lines) + b"\n")
    code, html, data = audit(tmp_path, export, "--agent-column", "agent")
    assert code == 1
    assert data["replies"] == 2
    bad = {row["line"]: row["reason"] for row in data["bad_rows"]["rows"]}
    assert data["bad_rows"]["count"] == 4
    assert set(bad) == {3, 4, 5, 6}
    assert "empty" in bad[3] and "encoding" in bad[4] and "too long" in bad[5] and "empty" in bad[6]
    for line in (3, 4, 5, 6):
        assert f"<td class='n'>{line}</td>" in html
    printed = capsys.readouterr().out
    assert "line 4: broken encoding" in printed and "save the export as UTF-8" in printed


def test_bad_jsonl_lines_are_listed(tmp_path):
    export = tmp_path / "replies.jsonl"
    export.write_bytes(
        b'{"text": "Dank je wel, Eva!"}\n'
        b"{not json\n"
        b'{"message": "no text field"}\n'
        b'["a list"]\n'
        b'{"text": "caf\xe9"}\n'
        + json.dumps({"text": RISKY_NL}).encode()
        + b"\n"
    )
    code, _, data = audit(tmp_path, export)
    assert code == 1 and data["replies"] == 2
    bad = {row["line"]: row["reason"] for row in data["bad_rows"]["rows"]}
    assert set(bad) == {2, 3, 4, 5}
    assert "JSON" in bad[2] and "'text'" in bad[3] and "object" in bad[4] and "encoding" in bad[5]


def test_an_unclosed_quote_is_reported_with_its_lines(tmp_path):
    export = tmp_path / "export.csv"
    body = ['text', THANKS_NL, '"Dit citaat sluit nooit'] + [f"regel {n}" for n in range(2_000)]
    export.write_text("\n".join(body) + "\n", encoding="utf-8")
    _, _, data = audit(tmp_path, export)
    assert data["replies"] == 1
    [row] = data["bad_rows"]["rows"]
    assert row["line"] == 3 and row["last_line"] == len(body)
    assert "quote" in row["reason"]


# --- bad usage --------------------------------------------------------------------------------


def test_a_missing_column_is_bad_usage_and_names_the_columns(tmp_path, capsys):
    export = write_csv(tmp_path / "export.csv", [["bericht", "wie"], [THANKS_NL, "Piet"]])
    assert main(["audit", str(export), "-o", str(tmp_path / "r.html")]) == 2
    error = capsys.readouterr().err
    assert "--text-column 'text'" in error and "'bericht'" in error
    assert not (tmp_path / "r.html").exists()


def test_a_missing_file_is_bad_usage(tmp_path, capsys):
    assert main(["audit", str(tmp_path / "nope.csv"), "-o", str(tmp_path / "r.html")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_an_unknown_option_is_bad_usage(tmp_path):
    with pytest.raises(SystemExit) as exit_info:
        main(["audit", str(tmp_path / "x.csv"), "--no-such-option"])
    assert exit_info.value.code == 2


# --- the report -------------------------------------------------------------------------------


def test_the_report_is_self_contained_and_escapes_every_text(tmp_path):
    export = write_csv(
        tmp_path / "export.csv",
        [["text", "agent", "date"],
         [f"{RISKY_NL} {SCRIPT} zie https://example.com/x.png", f"<b>{SCRIPT}</b>", "2026-11-02"],
         [CALM_NL, "Kees & co", "2026-11-03"]],
    )
    _, html, data = audit(tmp_path, export, "--agent-column", "agent", "--date-column", "date")
    parser = _Links()
    parser.feed(html)
    assert "script" not in parser.tags and "img" not in parser.tags and "link" not in parser.tags
    assert all(reference.startswith("#") for reference in parser.references)
    assert "url(" not in html and "@import" not in html
    assert SCRIPT not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert "Kees &amp; co" in html
    assert "<svg" in html  # the charts are inline SVG
    assert data["replies"] == 2


def test_the_report_shows_the_same_numbers_as_the_json(tmp_path):
    export = write_csv(tmp_path / "export.csv", [["text"], [RISKY_NL], [RISKY_EN], [THANKS_NL]])
    _, html, data = audit(tmp_path, export)
    for verdict in ("warn", "review", "ok"):
        assert f'<span class="number">{data["verdicts"][verdict]}</span><span class="label">{verdict}' in html
    per_category = [category["replies"] for category in data["categories"]]
    assert per_category and per_category == sorted(per_category, reverse=True)
    top = data["frequent_findings"][0]
    assert top["count"] >= 1 and top["examples"]
    assert top["rule"] in html
    # Highlights in the JSON point at the flagged words (UTF-16 offsets, as in the API).
    for finding in data["needs_a_look"][0]["findings"]:
        text = data["needs_a_look"][0]["text"]
        assert 0 <= finding["start"] <= finding["end"] <= len(text.encode("utf-16-le")) // 2


def test_offsets_in_the_json_count_utf16_units_after_an_emoji(tmp_path):
    reply = "😡😡 " + RISKY_NL
    export = write_csv(tmp_path / "export.csv", [["text"], [reply]])
    _, _, data = audit(tmp_path, export)
    [entry] = data["needs_a_look"]
    units = reply.encode("utf-16-le")
    after_the_emoji = [
        units[2 * f["start"]:2 * f["end"]].decode("utf-16-le")  # strict: a split surrogate pair fails
        for f in entry["findings"]
        if f["start"] >= 5 and f["end"] > f["start"]
    ]
    assert after_the_emoji
    for flagged in after_the_emoji:
        assert flagged.strip() and flagged in RISKY_NL


# --- progress ---------------------------------------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_bar_only_on_a_terminal(tmp_path):
    export = write_csv(tmp_path / "export.csv", [["text"]] + [[THANKS_NL]] * 50)
    terminal, pipe = _Terminal(), io.StringIO()
    run_audit(export, Columns(), progress_stream=terminal)
    run_audit(export, Columns(), progress_stream=pipe)
    assert "/s" in terminal.getvalue() and "left" in terminal.getvalue() and "100%" in terminal.getvalue()
    assert pipe.getvalue() == ""


@pytest.mark.parametrize(
    "cell, week",
    [("2026-11-23", "2026-W48"), ("23-11-2026", "2026-W48"), ("23/11/2026 09:15", "2026-W48"),
     ("2026-11-23T09:15:00+01:00", "2026-W48"), ("gisteren", None), ("", None)],
)
def test_week_of_reads_iso_and_day_first_dates(cell, week):
    assert week_of(cell) == week


def test_a_single_column_export_keeps_the_commas_in_its_replies(tmp_path):
    export = tmp_path / "export.csv"
    export.write_text("text\nTja, dat is niet onze schuld, sorry.\n", encoding="utf-8")
    _, _, data = audit(tmp_path, export)
    assert data["replies"] == 1
    assert data["needs_a_look"][0]["text"] == "Tja, dat is niet onze schuld, sorry."


def test_a_row_with_more_columns_than_the_header_is_a_bad_row_not_a_cut_reply(tmp_path):
    export = tmp_path / "export.csv"
    export.write_text(f"text,agent\n\"{THANKS_NL}\",Piet\nDank, Eva,Piet\n", encoding="utf-8")
    _, _, data = audit(tmp_path, export)
    assert data["replies"] == 1
    [bad] = data["bad_rows"]["rows"]
    assert bad["line"] == 3 and "quoted" in bad["reason"]


def test_worker_processes_give_the_same_report(tmp_path):
    replies = [RISKY_NL, THANKS_NL, CALM_NL, "", "Zoals ik al zei: nee."]
    rows = [["text", "agent"]] + [[replies[number % len(replies)], f"agent {number % 3}"] for number in range(450)]
    export = write_csv(tmp_path / "export.csv", rows)
    columns = Columns(agent="agent")
    alone = run_audit(export, columns, progress_stream=io.StringIO()).to_json()
    workers = run_audit(export, columns, progress_stream=io.StringIO(), jobs=2).to_json()
    for varying in ("generated", "seconds"):
        del alone[varying], workers[varying]
    assert workers == alone
    assert alone["bad_rows"]["count"] == 90 and alone["replies"] == 360
