"""Benchmark of the helper over loopback on waitress; prints figures, asserts nothing.

    python tests/benchmarks/bench_api.py [--seconds 5]

Starts ``python -m toontje serve`` on a free 127.0.0.1 port, warms it up, then prints
p50/p99 of POST /v1/analyze (a ~500-character Dutch reply) and GET /v1/health, the ratio of
their p50s, 5,000 versus 500 characters, throughput and errors with 16 concurrent keep-alive
clients, and the helper's memory. Targets (issue 2): p99 <= 5 ms, analyze/health p50 <= 3x,
time linear in length, 0 errors, RSS <= 150 MB.

Not a test (pytest only collects test_*.py); timing assertions would be flaky on a busy machine.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

REPLY_500 = (
    "Hoi Sanne, wat vervelend dat je bestelling 48213 nog niet is aangekomen. Ik heb even "
    "gekeken: het pakket is op 12 maart aan PostNL meegegeven, maar volgens de track & trace "
    "staat het sindsdien op 'in sortering'. Dat is niet onze schuld, maar we snappen dat het "
    "frustrerend is. Als u de bevestigingsmail goed had gelezen, had u gezien dat de levertijd "
    "drie tot vijf werkdagen is. Stuur ons even een privébericht met je adres en "
    "telefoonnummer, dan zoeken we het samen uit en houden we je op de hoogte. Groet, Mark"
)
REPLY_5000 = " ".join([REPLY_500] * 10)
SEQUENTIAL_REQUESTS = 2_000
LONG_REPLY_REQUESTS = 300
WARM_UP_REQUESTS = 300
CONCURRENT_CLIENTS = 16
START_TIMEOUT = 30


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_helper(port: int, log_file) -> subprocess.Popen:
    helper = subprocess.Popen(
        [sys.executable, "-m", "toontje", "serve", "--port", str(port)], stdout=log_file, stderr=log_file
    )
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/v1/health")
            if connection.getresponse().status == 200:
                return helper
        except OSError:
            time.sleep(0.1)
    helper.kill()
    sys.exit(f"the helper did not answer on port {port} within {START_TIMEOUT} s")


class Client:
    """One keep-alive connection, as the extension's service worker holds one."""

    def __init__(self, port: int):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)

    def analyze(self, text: str) -> int:
        body = json.dumps({"text": text, "lang": "auto", "context": {"author": "Sanne de Boer"}})
        self.connection.request("POST", "/v1/analyze", body, {"Content-Type": "application/json"})
        response = self.connection.getresponse()
        response.read()
        return response.status

    def health(self) -> int:
        self.connection.request("GET", "/v1/health")
        response = self.connection.getresponse()
        response.read()
        return response.status


def latencies_ms(call, count: int) -> list[float]:
    timings = []
    for _ in range(count):
        started = time.perf_counter()
        status = call()
        timings.append((time.perf_counter() - started) * 1000)
        if status != 200:
            sys.exit(f"unexpected status {status}")
    return timings


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def concurrent_load(port: int, seconds: float) -> tuple[int, int, list[float]]:
    """16 keep-alive clients post the 500-character reply back to back for ``seconds``."""
    deadline = time.monotonic() + seconds
    lock = threading.Lock()
    totals = {"ok": 0, "errors": 0}
    timings: list[float] = []

    def run_client():
        client, ok, errors, own_timings = Client(port), 0, 0, []
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                status = client.analyze(REPLY_500)
            except (OSError, http.client.HTTPException):
                status = None
                client = Client(port)
            own_timings.append((time.perf_counter() - started) * 1000)
            if status == 200:
                ok += 1
            else:
                errors += 1
        with lock:
            totals["ok"] += ok
            totals["errors"] += errors
            timings.extend(own_timings)

    threads = [threading.Thread(target=run_client) for _ in range(CONCURRENT_CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 30)
    return totals["ok"], totals["errors"], timings


def memory_mb(pid: int) -> tuple[float, float]:
    """Current (VmRSS) and peak (VmHWM) resident memory of ``pid`` in MB."""
    fields = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            fields[key] = value.split()
    return int(fields["VmRSS"][0]) / 1024, int(fields["VmHWM"][0]) / 1024


def in_process_ratio() -> tuple[float, float, float]:
    """What the endpoint computes, without HTTP: median ms for 500 and 5,000 characters, and their ratio."""
    from toontje.analysis import Context, analyze

    context = Context(author="Sanne de Boer")
    for _ in range(50):
        analyze(REPLY_500, context=context).to_json(REPLY_500)
        analyze(REPLY_5000, context=context).to_json(REPLY_5000)

    def median_ms(text: str, count: int) -> float:
        timings = []
        for _ in range(count):
            started = time.perf_counter()
            analyze(text, context=context).to_json(text)
            timings.append((time.perf_counter() - started) * 1000)
        return statistics.median(timings)

    short, long = median_ms(REPLY_500, 1000), median_ms(REPLY_5000, 200)
    return short, long, long / short


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="duration of the concurrent load (default 5)")
    args = parser.parse_args()

    port = free_port()
    with tempfile.TemporaryFile() as log_file:
        helper = start_helper(port, log_file)
        try:
            client = Client(port)
            latencies_ms(lambda: client.analyze(REPLY_500), WARM_UP_REQUESTS)
            latencies_ms(lambda: client.analyze(REPLY_5000), WARM_UP_REQUESTS // 10)
            latencies_ms(client.health, WARM_UP_REQUESTS)

            analyze_500 = latencies_ms(lambda: client.analyze(REPLY_500), SEQUENTIAL_REQUESTS)
            health = latencies_ms(client.health, SEQUENTIAL_REQUESTS)
            analyze_5000 = latencies_ms(lambda: client.analyze(REPLY_5000), LONG_REPLY_REQUESTS)
            ok, errors, concurrent = concurrent_load(port, args.seconds)
            rss, peak = memory_mb(helper.pid)
        finally:
            helper.send_signal(signal.SIGINT)
            helper.wait(15)

    short_ms, long_ms, engine_ratio = in_process_ratio()
    p50 = statistics.median
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"Toontje helper benchmark, waitress on 127.0.0.1, {os.cpu_count()} CPUs (load {load}), Python {sys.version.split()[0]}")
    print(f"POST /v1/analyze, {len(REPLY_500)} chars  p50 {p50(analyze_500):6.2f} ms   p99 {percentile(analyze_500, 0.99):6.2f} ms   (target p99 <= 5 ms)")
    print(f"GET  /v1/health                p50 {p50(health):6.2f} ms   p99 {percentile(health, 0.99):6.2f} ms")
    print(f"analyze / health p50           {p50(analyze_500) / p50(health):6.2f} x     (target <= 3x)")
    print(
        f"POST /v1/analyze, {len(REPLY_5000)} chars p50 {p50(analyze_5000):6.2f} ms   p99 {percentile(analyze_5000, 0.99):6.2f} ms   "
        f"= {p50(analyze_5000) / p50(analyze_500):.2f} x the 500-char p50"
    )
    print(
        f"analyze().to_json() in-process {short_ms:6.3f} ms for {len(REPLY_500)} chars, {long_ms:6.3f} ms for "
        f"{len(REPLY_5000)} chars = {engine_ratio:.2f} x for {len(REPLY_5000) / len(REPLY_500):.1f} x the text (linear: about 10 x)"
    )
    print(
        f"{CONCURRENT_CLIENTS} concurrent keep-alive clients, {args.seconds:g} s: {ok / args.seconds:7.0f} requests/s, "
        f"{errors} errors (target 0), p50 {p50(concurrent):.2f} ms, p99 {percentile(concurrent, 0.99):.2f} ms"
    )
    print(f"helper memory after the load   RSS {rss:.1f} MB, peak {peak:.1f} MB   (target <= 150 MB)")


if __name__ == "__main__":
    main()
