"""How fast `toontje audit` checks an export, in-process (target: at least 2,000 replies a second).

Generates a 10,000-row Dutch/English CSV (';'-separated, BOM, quoted newlines, agents, dates;
every row different, so no cache flatters the figure), then times reading + analysing in this
process and with one worker process per CPU (the command's default), and, separately, writing
the HTML and JSON report. Prints figures; no timed asserts.

    python tests/benchmarks/bench_audit.py [ROWS]
"""

import io
import json
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

from toontje.audit import Columns, render_report, run_audit

OPENINGS_NL = ["Hoi {name},", "Beste {name},", "Hallo {name}!", "Dag {name},", ""]
BODIES_NL = [
    "wat vervelend dat je pakket {order} nog niet binnen is. Stuur ons een DM, dan zoeken we het uit.",
    "dat is niet onze schuld, de bezorger heeft het pakket {order} gewoon afgeleverd!!",
    "zoals ik al zei: daar kunnen wij niets aan doen.",
    "u vergist zich, volgens onze gegevens is bestelling {order} op {day} november bezorgd.",
    "dank je wel voor je tip! We geven het door aan het team.",
    "helaas lukt het vandaag niet meer, maar morgen staat er om {hour}:00 een monteur voor je klaar.",
    "dit zal nooit meer gebeuren. Excuses voor het ongemak.",
    "goed voor te stellen dat dit teleurstellend is.\nMag ik je bellen over order {order}?",
]
OPENINGS_EN = ["Hi {name},", "Hello {name}!", "Dear {name},", ""]
BODIES_EN = [
    "sorry to hear order {order} is late. Could you DM us your details so we can look into it?",
    "that is not our fault, you should have read the manual!!!",
    "as I said before, there is nothing we can do.",
    "thanks for letting us know, we've passed it on to the team.",
    "according to our records order {order} was delivered on November {day}.",
]
NAMES = ["Sanne", "Piet", "Eva", "John", "Fatima", "Daan", "Lotte", "Mo", "Anna", "Kees"]
AGENTS = ["Anouk", "Bram", "Chris", "Dewi", "Emre"]


def reply(rng: random.Random) -> str:
    english = rng.random() < 0.25
    opening = rng.choice(OPENINGS_EN if english else OPENINGS_NL)
    body = rng.choice(BODIES_EN if english else BODIES_NL)
    values = {"name": rng.choice(NAMES), "order": rng.randrange(100_000, 999_999),
              "day": rng.randrange(1, 29), "hour": rng.randrange(8, 18)}
    return f"{opening} {body}".strip().format(**values)


def write_export(path: Path, rows: int) -> None:
    rng = random.Random(4)
    with path.open("w", encoding="utf-8-sig", newline="") as export:
        export.write("id;antwoord;medewerker;klant;datum\r\n")
        for number in range(rows):
            text = reply(rng).replace('"', '""')
            export.write(f'{number};"{text}";{rng.choice(AGENTS)};{rng.choice(NAMES)} de Vries;'
                         f"2026-{rng.randrange(9, 12):02d}-{rng.randrange(1, 29):02d}\r\n")


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    columns = Columns(text="antwoord", agent="medewerker", author="klant", date="datum")
    with tempfile.TemporaryDirectory() as directory:
        export = Path(directory) / "export.csv"
        write_export(export, rows)
        size = export.stat().st_size
        run_audit(export, columns, progress_stream=io.StringIO())  # warm-up: catalogues, lexicons

        started, cpu_started = time.perf_counter(), time.process_time()
        result = run_audit(export, columns, progress_stream=io.StringIO())
        audit_seconds = time.perf_counter() - started
        # CPU time is what the audit itself costs even when other work shares the cores.
        cpu_seconds = time.process_time() - cpu_started

        workers = os.cpu_count() or 1
        children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started, cpu_started = time.perf_counter(), time.process_time()
        parallel = run_audit(export, columns, progress_stream=io.StringIO(), jobs=workers)
        parallel_seconds = time.perf_counter() - started
        children_after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the pool's workers have ended
        parallel_main_cpu = time.process_time() - cpu_started
        workers_cpu = (children_after.ru_utime - children_before.ru_utime
                       + children_after.ru_stime - children_before.ru_stime)
        assert parallel.to_json()["verdicts"] == result.to_json()["verdicts"]

        started = time.perf_counter()
        data = result.to_json()
        html = render_report(data)
        (Path(directory) / "report.html").write_text(html, encoding="utf-8")
        (Path(directory) / "report.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        report_seconds = time.perf_counter() - started

    print(f"rows:               {rows:,} (generated CSV, {size / 1024:,.0f} KiB)")
    print(f"replies checked:    {result.replies:,} (bad rows {len(result.bad_rows):,})")
    print(f"verdicts:           {result.verdicts}")
    print(f"read + analyse:     {audit_seconds:.2f} s = {result.replies / audit_seconds:,.0f} replies/s "
          "in this one process (target >= 2,000)")
    print(f"  CPU time:         {cpu_seconds / result.replies * 1000:.3f} ms per reply = "
          f"{result.replies / cpu_seconds:,.0f} replies/s on one idle core (load average now "
          f"{os.getloadavg()[0]:.1f} on {workers} cores)")
    print(f"  with --jobs {workers}:     {parallel_seconds:.2f} s = {parallel.replies / parallel_seconds:,.0f} replies/s "
          f"({workers} worker processes, what `toontje audit` does by default)")
    # The work spread evenly over idle cores: what the command does on this machine when nothing else runs.
    idle_seconds = max(workers_cpu / workers, parallel_main_cpu)
    print(f"  CPU time:         workers {workers_cpu:.2f} s + main process {parallel_main_cpu:.2f} s = "
          f"{parallel.replies / idle_seconds:,.0f} replies/s on {workers} idle cores")
    print(f"report HTML + JSON: {report_seconds * 1000:.0f} ms ({len(html) / 1024:,.0f} KiB HTML)")


if __name__ == "__main__":
    main()
