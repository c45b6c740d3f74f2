"""``toontje check``, ``serve`` argument checks and ``--version``, in-process and as a real process."""

import io
import json
import os
import pty
import re
import subprocess
import sys

import pytest

from toontje import __version__
from toontje.analysis import analyze
from toontje.api import MAX_TEXT_CHARS
from toontje.cli import main, merged_spans
from toontje.server import is_loopback

from test_api import CALM_NL, RISKY_EN, RISKY_NL, assert_analysis_shape


def run_toontje(*arguments, stdin: bytes | None = None):
    return subprocess.run(
        [sys.executable, "-m", "toontje", *arguments], input=stdin, capture_output=True, timeout=60
    )


def run_in_terminal(*arguments) -> tuple[int, str]:
    """Run toontje with stdin and stdout on a pseudo-terminal, as a person at a terminal would."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "toontje", *arguments], stdin=terminal, stdout=terminal, stderr=terminal)
    os.close(terminal)
    output = bytearray()
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # The terminal closes when the process exits.
            break
        if not chunk:
            break
        output += chunk
    os.close(controller)
    return process.wait(60), output.decode()


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"toontje {__version__}"


@pytest.mark.parametrize("text", [RISKY_NL, RISKY_EN])
def test_a_risky_reply_exits_1_and_marks_the_flagged_words(capsys, text):
    assert main(["check", text]) == 1
    output = capsys.readouterr().out
    assert output.startswith("WARN")
    spans = merged_spans((f.start, f.end, f.severity) for f in analyze(text).findings if f.end > f.start)
    assert spans
    for start, end, _ in spans:
        assert f"[{text[start:end]}]" in output
    assert "Rewrite" in output
    assert "\033[" not in output  # Not a terminal: no colour codes.


def test_a_calm_reply_exits_0(capsys):
    assert main(["check", "--author", "Sanne de Boer", "--comment", "Waar blijft mijn pakket?", CALM_NL]) == 0
    assert capsys.readouterr().out.split()[0] in {"OK", "REVIEW"}


def test_json_is_the_api_answer_plus_the_rewrite(capsys):
    assert main(["check", "--json", "--lang", "nl", "--author", "Sanne de Boer", RISKY_NL]) == 1
    answer = json.loads(capsys.readouterr().out)
    rewrite = answer.pop("rewrite")
    assert_analysis_shape(answer)
    assert answer["verdict"] == "warn" and answer["lang"] == "nl"
    assert set(rewrite) == {"text", "verdict", "changes"}
    assert "Sanne" in rewrite["text"]  # --author reached the rewrite.


def test_lang_is_passed_on(capsys):
    main(["check", "--json", "--lang", "en", RISKY_NL])
    assert json.loads(capsys.readouterr().out)["lang"] == "en"


def exit_code(argv) -> int:
    """main()'s exit code, whether it returns it or argparse exits with it."""
    try:
        return main(argv)
    except SystemExit as exit_info:
        return exit_info.code


def pipe_stdin(monkeypatch, data: bytes) -> None:
    """Give main() a piped stdin (a real byte stream that is not a terminal)."""
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))


def test_reads_the_reply_from_stdin_of_a_real_process(capsys):
    from_stdin = run_toontje("check", "--json", stdin=(RISKY_NL + "\n").encode())
    assert from_stdin.returncode == exit_code(["check", "--json", RISKY_NL]) == 1
    assert json.loads(from_stdin.stdout) == json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("argument", [[], ["-"]], ids=["no-argument", "dash"])
def test_reads_the_reply_from_stdin(capsys, monkeypatch, argument):
    assert exit_code(["check", "--json", RISKY_NL]) == 1
    from_argument = json.loads(capsys.readouterr().out)
    pipe_stdin(monkeypatch, b"\xef\xbb\xbf" + RISKY_NL.encode() + b"\r\n")
    assert exit_code(["check", "--json", *argument]) == 1
    assert json.loads(capsys.readouterr().out) == from_argument


@pytest.mark.parametrize(
    ("stdin", "message"),
    [(b"", "empty"), (b"  \n\n", "empty"), (b"Hallo \xff", "UTF-8")],
    ids=["empty", "blank", "bad-utf8"],
)
def test_bad_stdin_exits_2_with_a_message(capsys, monkeypatch, stdin, message):
    pipe_stdin(monkeypatch, stdin)
    assert exit_code(["check"]) == 2
    output = capsys.readouterr()
    assert message in output.err
    assert output.out == ""


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["check", "   "], "empty"),
        (["check", "x" * (MAX_TEXT_CHARS + 1)], "10,000"),
        (["check", "--lang", "de", "Hallo"], "invalid choice"),
        (["check", "--colour", "Hallo"], "unrecognized arguments"),
        ([], "required"),
        (["frobnicate"], "invalid choice"),
        (["serve", "--port", "0"], "not a port number"),
        (["serve", "--port", "70000"], "not a port number"),
        (["serve", "--port", "http"], "not a port number"),
        (["eval"], "give at least one FILE"),
    ],
    ids=[
        "blank-argument", "too-long", "unknown-lang", "unknown-option", "no-command", "unknown-command",
        "port-0", "port-too-big", "port-not-a-number", "eval-without-files",
    ],
)  # fmt: skip
def test_bad_usage_exits_2_with_a_message(capsys, arguments, message):
    assert exit_code(arguments) == 2
    output = capsys.readouterr()
    assert message in output.err
    assert output.out == ""


def test_check_without_text_on_a_terminal_asks_for_it(capsys, monkeypatch):
    controller, terminal = pty.openpty()
    with os.fdopen(terminal, "r") as terminal_stdin:
        monkeypatch.setattr(sys, "stdin", terminal_stdin)
        assert exit_code(["check"]) == 2  # Instead of waiting for input nobody knows is expected.
    os.close(controller)
    assert "give the reply as an argument" in capsys.readouterr().err


def test_a_terminal_gets_coloured_underlines_instead_of_brackets():
    status, output = run_in_terminal("check", RISKY_NL)
    assert status == 1
    finding = next(f for f in analyze(RISKY_NL).findings if f.end > f.start and f.severity == "warn")
    assert re.search(r"\x1b\[4;31m[^\x1b]*" + re.escape(RISKY_NL[finding.start : finding.end]), output)
    assert f"[{RISKY_NL[finding.start:finding.end]}]" not in output


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.5", "::", "example.org"])
def test_serve_refuses_a_non_loopback_address_without_allow_remote(capsys, host):
    assert main(["serve", "--host", host]) == 2
    assert "--allow-remote" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.1.2.3", True), ("localhost", True), ("::1", True), ("[::1]", True),
     ("0.0.0.0", False), ("::", False), ("10.0.0.1", False), ("localhost.example.org", False)],
)  # fmt: skip
def test_is_loopback(host, loopback):
    assert is_loopback(host) is loopback


def test_eval_is_wired_to_the_evaluation_module(capsys, tmp_path):
    labelled = tmp_path / "mini.jsonl"
    rows = [
        {"id": "t-1", "lang": "nl", "label": "risky", "categories": ["defensive"], "trap": False, "text": RISKY_NL},
        {"id": "t-2", "lang": "nl", "label": "ok", "categories": [], "trap": False, "text": CALM_NL},
    ]
    labelled.write_text("\n".join(json.dumps(row) for row in rows) + "\n")
    assert main(["eval", "--json", str(labelled)]) == 0
    assert str(labelled) in capsys.readouterr().out


def test_merged_spans_keep_the_worst_severity():
    assert merged_spans([(10, 20, "review"), (0, 5, "review"), (15, 25, "warn"), (30, 31, "review")]) == [
        (0, 5, "review"),
        (10, 25, "warn"),
        (30, 31, "review"),
    ]
