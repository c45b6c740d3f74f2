"""The ``toontje`` command: ``serve``, ``check``, ``eval``, ``audit``.

Each subcommand is one ``add_command(...)`` line in ``build_parser``: a name, a one-line help,
a function that adds its arguments to an argparse parser, and a function that runs it with the
parsed arguments and returns the exit code.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from . import __version__, audit, evaluation
from .analysis import Context, analyze
from .api import DEFAULT_PORT, MAX_TEXT_CHARS, REQUEST_LANGUAGES, create_app
from .house_rules import APP_EXTENSION as HOUSE_RULES_EXTENSION
from .rewrite import rewrite
from .server import DEFAULT_HOST, configure_logging, is_loopback, serve, url_for

EXIT_OK = 0
EXIT_WARN = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # The shell's convention for a command stopped by Ctrl+C (128 + SIGINT).


class UsageError(Exception):
    """The command line cannot work as given; main() prints the message and exits 2."""


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except UsageError as error:
        print(f"toontje {args.command}: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:  # Ctrl+C while checking, or while serve is still starting up.
        return EXIT_INTERRUPTED


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="toontje",
        description="Tells a webcare agent, before posting, whether a reply would escalate a public thread.",
    )
    parser.add_argument("--version", action="version", version=f"toontje {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_command(commands, "serve", "run the local helper the browser extension talks to", add_serve_arguments, run_serve)
    add_command(commands, "check", "check one reply and show why, with a calmer rewrite", add_check_arguments, run_check)
    add_command(
        commands, "eval", "measure recall and false warnings on labelled replies", evaluation.add_arguments, evaluation.run
    )
    add_command(commands, "audit", "check an export of past replies and write a report", audit.add_arguments, audit.run)
    return parser


def add_command(commands, name: str, help_text: str, add_arguments, run) -> None:
    command = commands.add_parser(name, help=help_text, description=help_text[0].upper() + help_text[1:] + ".")
    add_arguments(command)
    command.set_defaults(run=run)


# --- toontje serve ----------------------------------------------------------------------------


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help=f"address to listen on (default {DEFAULT_HOST}). Loopback only by default: the helper "
        "reads unpublished replies and must not be reachable from the network.",
    )
    parser.add_argument("--port", type=port_number, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    parser.add_argument(
        "--allow-remote",
        action="store_true",
        help="required to listen on a non-loopback address; other machines can then send it replies",
    )
    parser.add_argument(
        "--extension-id",
        action="append",
        default=[],
        metavar="ID",
        help="only answer this browser extension (repeatable); default: any extension",
    )
    parser.add_argument(
        "--house-rules",
        metavar="PATH",
        help="the team's house-rules TOML file; edits are picked up without a restart",
    )


def port_number(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= 65535:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port number (1-65535)")
    return int(value)


def run_serve(args: argparse.Namespace) -> int:
    if not is_loopback(args.host):
        if not args.allow_remote:
            raise UsageError(
                f"{args.host} is not a loopback address; add --allow-remote if other machines "
                "really should reach this helper (they can then read every reply sent to it)"
            )
        print(
            f"WARNING: listening on {args.host}: anyone who can reach this address can use the helper.",
            file=sys.stderr,
        )
    if args.house_rules and not os.path.isfile(args.house_rules):
        raise UsageError(f"--house-rules {args.house_rules}: no such file")
    configure_logging()
    app = create_app(
        {"PORT": args.port, "EXTENSION_IDS": tuple(args.extension_id), "ALLOW_REMOTE": args.allow_remote,
         "HOUSE_RULES": args.house_rules}
    )
    house_rules = app.extensions.get(HOUSE_RULES_EXTENSION)
    if house_rules is not None and house_rules.error:
        print(f"WARNING: house rules not used until the file is fixed:\n{house_rules.error}", file=sys.stderr)
    warm_up()
    try:
        serve(app, args.host, args.port)
    except OSError as error:  # Most often: the port is taken, e.g. by a helper already running.
        raise UsageError(f"cannot listen on {url_for(args.host, args.port)}: {error.strerror}; choose another --port") from None
    return EXIT_OK


WARM_UP_REPLIES = {"nl": "Bedankt voor je bericht, Sanne!", "en": "Thanks for your message, Sanne!"}


def warm_up() -> None:
    """Load the rule catalogues and sentiment lexicons before listening: loading them takes about
    half a second, longer than the extension waits for its first answer."""
    for lang, reply in WARM_UP_REPLIES.items():
        rewrite(reply, lang=lang)


# --- toontje check ----------------------------------------------------------------------------


def add_check_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("text", nargs="?", metavar="TEXT", help="the reply; read from stdin when left out or '-'")
    parser.add_argument("--lang", choices=REQUEST_LANGUAGES, default="auto", help="language of the reply (default auto)")
    parser.add_argument("--author", help="display name of the customer being answered, e.g. 'Sanne de Boer'")
    parser.add_argument("--comment", help="the customer's comment being answered")
    parser.add_argument("--json", action="store_true", help="print the /v1/analyze answer plus a 'rewrite' object")
    parser.epilog = "Exit code: 0 for ok or review, 1 for warn, 2 for bad usage."


def run_check(args: argparse.Namespace) -> int:
    text = reply_text(args.text)
    context = Context(comment=args.comment, author=args.author)
    analysis = analyze(text, lang=args.lang, context=context)
    proposal = rewrite(text, lang=args.lang, context=context)
    if args.json:
        print(json.dumps({**analysis.to_json(text), "rewrite": proposal.to_json()}, ensure_ascii=False, indent=2))
    else:
        colour = sys.stdout.isatty() and "NO_COLOR" not in os.environ
        print(report(text, analysis, proposal, colour))
    return EXIT_WARN if analysis.verdict == "warn" else EXIT_OK


def reply_text(argument: str | None) -> str:
    if argument is None or argument == "-":
        if sys.stdin.isatty():
            raise UsageError("give the reply as an argument or pipe it in on stdin")
        try:
            # utf-8-sig: Windows editors often save a byte-order mark in front.
            text = sys.stdin.buffer.read().decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise UsageError(f"stdin is not valid UTF-8 (bad byte at position {error.start})") from None
        text = text.rstrip("\r\n")  # The newline echo and editors add is not part of the reply.
    else:
        text = argument
    if not text.strip():
        raise UsageError("the reply is empty")
    if len(text) > MAX_TEXT_CHARS:
        raise UsageError(f"the reply has {len(text):,} characters; a reply has at most {MAX_TEXT_CHARS:,}")
    return text


# --- rendering a check for the terminal -------------------------------------------------------

SEVERITY_ORDER = {"review": 1, "warn": 2}
ANSI_MARK = {"warn": "\033[4;31m", "review": "\033[4;33m"}  # Underlined red / yellow.
ANSI_BOLD = "\033[1m"
ANSI_RESET = "\033[0m"


def report(text: str, analysis, proposal, colour: bool) -> str:
    bold, reset = (ANSI_BOLD, ANSI_RESET) if colour else ("", "")
    lines = [f"{bold}{analysis.verdict.upper()}{reset}  score {analysis.score}  language {analysis.lang}", ""]
    lines += [marked(text, analysis.findings, colour), ""]
    if analysis.findings:
        lines.append("Findings:")
    # Warnings first, then in reading order: what must change before what could be better.
    ordered = sorted(analysis.findings, key=lambda finding: (-SEVERITY_ORDER[finding.severity], finding.start))
    for number, finding in enumerate(ordered, 1):
        where = f'"{text[finding.start:finding.end]}"' if finding.end > finding.start else "(whole reply)"
        lines.append(f"  {number}. {finding.severity:<6} {finding.category} [{finding.rule}] {where}")
        lines.append(f"     {finding.message}")
    if proposal.text != text:
        lines += ["", f"{bold}Rewrite{reset} (verdict {proposal.verdict}):", proposal.text]
        lines += [f"  - {change}" for change in proposal.changes]
    return "\n".join(lines)


def marked(text: str, findings, colour: bool) -> str:
    """``text`` with every flagged span underlined (terminal) or [bracketed] (pipe, file)."""
    spans = merged_spans((f.start, f.end, f.severity) for f in findings if f.end > f.start)
    pieces, position = [], 0
    for start, end, severity in spans:
        opening, closing = (ANSI_MARK[severity], ANSI_RESET) if colour else ("[", "]")
        pieces += [text[position:start], opening, text[start:end], closing]
        position = end
    pieces.append(text[position:])
    return "".join(pieces)


def merged_spans(spans) -> list[tuple[int, int, str]]:
    """Overlapping spans become one, marked with the more serious severity."""
    merged: list[tuple[int, int, str]] = []
    for start, end, severity in sorted(spans):
        if merged and start < merged[-1][1]:
            last_start, last_end, last_severity = merged[-1]
            worst = max(severity, last_severity, key=SEVERITY_ORDER.__getitem__)
            merged[-1] = (last_start, max(end, last_end), worst)
        else:
            merged.append((start, end, severity))
    return merged
