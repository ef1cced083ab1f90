"""Every benchmark in bench/ in one run, and one table: each figure against its budget.

What is measured
    The benchmarks run one after the other, each printing its own tables as it goes:
    ingest.py (requests/s against a bare Django view), pipeline.py (events/s per worker),
    export.py (rows/s against a plain SELECT), dashboard.py (a page's HTML and data, and its
    weight), browser.py (time to a filled dashboard in Chromium), idle.py (CPU and memory of the
    whole stack while nothing arrives) and stats.py (stats API p95). The snippet is weighed
    here. Then one table lists every figure with its budget and pass / FAIL ("not checked"
    where a benchmark could not hold its figure to the budget, e.g. ingest without wrk; "info"
    where there is no budget), beside the previous run's value.

    The stats API's budget is set at 10M events. A full run of that takes long (the first run
    generates and loads the data set, about 40 minutes here), so this runs stats.py at
    1,000,000 events by default; the canonical scale is `--stats-events 10000000` (or
    `make bench-stats`).

How
    Each benchmark is a child process; its figures are read from the JSON it writes to
    bench/results/. A benchmark that exits non-zero or writes nothing fails its figures.
    The table goes to bench/results/budgets.json, and one line per run is appended to
    bench/results/history.jsonl (commit, time, figures), so runs can be compared between
    commits.

Run
    .venv/bin/python bench/budgets.py                 # everything; stats at 1M events
    .venv/bin/python bench/budgets.py --quick         # short runs of each (a few minutes)
    .venv/bin/python bench/budgets.py --only ingest,snippet
    .venv/bin/python bench/budgets.py --check         # exit 1 when a budget is missed
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as `python bench/budgets.py`: import the project, not bench/ siblings
    _root = str(Path(__file__).resolve().parent.parent)
    sys.path[:] = [_root, *(p for p in sys.path[1:] if p != _root)]

from bench import RESULTS_DIR, ROOT, machine_info, print_table, relative_to_root, write_result

NAME = "budgets"
HISTORY = RESULTS_DIR / "history.jsonl"
STATS_EVENTS = 1_000_000


@dataclass
class Figure:
    benchmark: str
    name: str
    value: float | None
    unit: str
    budget: str  # as shown; "" when the figure is for information
    passed: bool | None  # None: not checked, or no budget

    @property
    def result(self) -> str:
        if not self.budget:
            return "info"
        if self.passed is None:
            return "not checked"
        return "pass" if self.passed else "FAIL"


def _ingest(data: dict[str, Any]) -> list[Figure]:
    ratio = data["ratio"]
    budget = data["budget"]["ratio_at_least"]
    return [
        Figure("ingest", "POST /api/event vs bare Django", ratio, "x", f">= {budget:.2f} x", data["passed"]),
        Figure("ingest", "POST /api/event", data["footfall_requests_per_second"], "req/s", "", None),
    ]


def _pipeline(data: dict[str, Any]) -> list[Figure]:
    budget = data["budget"]["events_per_second_at_least"]
    rate = data["events_per_second"]
    return [Figure("pipeline", "worker into PostgreSQL", rate, "events/s", f">= {budget:,} events/s", data["passed"])]


def _export(data: dict[str, Any]) -> list[Figure]:
    figures = [Figure("export", "plain SELECT (baseline)", data["baseline_rows_per_second"], "rows/s", "", None)]
    for fmt in ("csv", "ndjson"):
        figures.append(Figure("export", f"export {fmt}", data[f"{fmt}_rows_per_second"], "rows/s", "", None))
        figures.append(Figure("export", f"export {fmt} vs SELECT", data[f"{fmt}_ratio_to_baseline"], "x", "", None))
    figures.append(Figure("export", "archive", data["archive"]["hour_bytes_per_event"], "bytes/event", "", None))
    return figures


def _dashboard(data: dict[str, Any]) -> list[Figure]:
    budget_ms, budget_bytes = data["budget"]["p95_ms_below"], data["budget"]["weight_bytes_below"]
    figures = [
        Figure("dashboard", f"{page} p95", row["p95_ms"], "ms", f"< {budget_ms} ms", row["p95_ms"] < budget_ms)
        for page, row in data["pages"].items()
        if not page.startswith("baseline")
    ]
    weight = data["weight"]["total"]
    budget = f"< {budget_bytes:,} bytes"
    figures.append(Figure("dashboard", "page weight (gzip, no Chart)", weight, "bytes", budget, weight < budget_bytes))
    return figures


def _stats(data: dict[str, Any]) -> list[Figure]:
    budget = data["budget"]["p95_ms_below"]
    events = data["parameters"]["events"]
    figures = []
    held = [case for case in data["api"] if case.get("held", True)]
    for range_name in sorted({case["range"] for case in held}):
        cases = [case for case in held if case["range"] == range_name]
        worst = max(cases, key=lambda case: case["p95_ms"])
        figures.append(
            Figure(
                "stats",
                f"API p95, worst of {len(cases)} ({range_name}, {events:,} events: {worst['case']})",
                worst["p95_ms"],
                "ms",
                f"< {budget:.0f} ms",
                worst["p95_ms"] < budget,
            )
        )
    # Goals and funnels: their budget is set for the ClickHouse store; this store's figures are shown beside it.
    for case in (case for case in data["api"] if not case.get("held", True)):
        name = f"{case['case']} p95 ({case['range']}, {events:,} events)"
        figures.append(Figure("stats", name, case["p95_ms"], "ms", f"< {case['budget_ms']:.0f} ms (ClickHouse)", None))
    figures.append(Figure("stats", "API answers == raw recount", 1.0, "", "all equal", data["api_equals_raw"]))
    return figures


def _browser(data: dict[str, Any]) -> list[Figure]:
    budget = data["budget_ms"]
    return [
        Figure("browser", f"filled dashboard {view} p95", row["p95_ms"], "ms", f"< {budget} ms", row["p95_ms"] < budget)
        for view, row in data["figures"].items()
        if "baseline" not in view
    ]


def _idle(data: dict[str, Any]) -> list[Figure]:
    budget = data["budget"]
    cpu, pss = data["cpu_percent"], data["pss_mb"]
    return [
        Figure(
            "idle",
            "whole stack at idle, CPU",
            cpu,
            "% core",
            f"<= {budget['cpu_percent_at_most']} %",
            cpu <= budget["cpu_percent_at_most"],
        ),
        Figure(
            "idle",
            "whole stack at idle, PSS",
            pss,
            "MB",
            f"<= {budget['pss_mb_at_most']:.0f} MB",
            pss <= budget["pss_mb_at_most"],
        ),
    ]


def _snippet() -> list[Figure]:
    from tracker.ingest import snippet

    size, budget = snippet.gzipped_size(snippet.BUILD.read_text()), snippet.GZIP_BUDGET
    return [Figure("snippet", "script.js (gzip)", size, "bytes", f"<= {budget:,} bytes", size <= budget)]


@dataclass
class Benchmark:
    name: str
    script: str
    figures: Callable[[dict[str, Any]], list[Figure]]
    args: list[str]
    quick_args: list[str]


def benchmarks(stats_events: int, reuse_stats: bool) -> list[Benchmark]:
    stats_args = ["--events", str(stats_events), "--raw-reps", "1", *(["--reuse"] if reuse_stats else [])]
    return [
        Benchmark("ingest", "ingest.py", _ingest, [], ["--quick"]),
        Benchmark("pipeline", "pipeline.py", _pipeline, [], ["--quick"]),
        Benchmark("export", "export.py", _export, [], ["--quick"]),
        Benchmark("dashboard", "dashboard.py", _dashboard, [], ["--reps", "5"]),
        Benchmark("browser", "browser.py", _browser, [], ["--reps", "5"]),
        Benchmark("idle", "idle.py", _idle, [], ["--quick"]),
        Benchmark("stats", "stats.py", _stats, stats_args, ["--events", "200000", "--reps", "5", "--raw-reps", "1"]),
    ]


def run(benchmark: Benchmark, *, quick: bool) -> tuple[list[Figure], str]:
    """Run one benchmark as a child process; return its figures and how it went."""
    result = RESULTS_DIR / f"{benchmark.name}.json"
    started = time.time()
    args = benchmark.quick_args if quick else benchmark.args
    command = [sys.executable, str(ROOT / "bench" / benchmark.script), *args]
    print(f"\n=== {benchmark.name}: bench/{benchmark.script} {' '.join(args)}", flush=True)
    code = subprocess.call(command, cwd=ROOT)
    seconds = time.time() - started
    fresh = result.exists() and result.stat().st_mtime >= started
    if code != 0 or not fresh:
        why = f"exit {code}" if code != 0 else "no result written"
        return [Figure(benchmark.name, f"run ({why})", None, "", "runs", False)], f"failed: {why}, {seconds:.0f} s"
    return benchmark.figures(json.loads(result.read_text())), f"ok, {seconds:.0f} s"


def previous_values() -> dict[str, float | None]:
    """Each figure's value in the latest run of the history that has it, by benchmark and name."""
    values: dict[str, float | None] = {}
    for line in HISTORY.read_text().splitlines() if HISTORY.exists() else []:
        values.update({f"{f['benchmark']}: {f['name']}": f["value"] for f in json.loads(line)["figures"]})
    return values


def _shown(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    text = f"{value:,.2f}" if abs(value) < 10 else f"{value:,.0f}"
    return f"{text} {unit}".strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="short runs of every benchmark")
    parser.add_argument("--check", action="store_true", help="exit 1 when a budget is missed")
    parser.add_argument("--only", help="comma-separated: ingest,pipeline,export,dashboard,browser,stats,snippet")
    parser.add_argument("--stats-events", type=int, default=STATS_EVENTS, help=f"stats data set ({STATS_EVENTS:,})")
    parser.add_argument("--reuse-stats", action="store_true", help="time stats on its loaded database again")
    args = parser.parse_args(argv)
    known = [b.name for b in benchmarks(args.stats_events, args.reuse_stats)] + ["snippet"]
    wanted = args.only.split(",") if args.only else known
    unknown = sorted(set(wanted) - set(known))
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(known)}")

    figures: list[Figure] = []
    runs: dict[str, str] = {}
    for benchmark in benchmarks(args.stats_events, args.reuse_stats):
        if benchmark.name in wanted:
            found, runs[benchmark.name] = run(benchmark, quick=args.quick)
            figures += found
    if "snippet" in wanted:
        figures += _snippet()
        runs["snippet"] = "ok"

    before = previous_values()
    print(f"\n=== budgets ({'quick runs' if args.quick else 'full runs'}; commit {machine_info()['commit']})")
    print_table(
        ["benchmark", "figure", "value", "budget", "result", "previous run"],
        [
            [f.benchmark, f.name, _shown(f.value, f.unit), f.budget, f.result, _shown(before.get(key), f.unit)]
            for f in figures
            for key in [f"{f.benchmark}: {f.name}"]
        ],
    )
    missed = [f for f in figures if f.budget and f.passed is False]
    unchecked = [f for f in figures if f.budget and f.passed is None]
    print(f"\n{len(figures)} figures: {len(missed)} over budget, {len(unchecked)} not checked")
    for name, how in runs.items():
        print(f"  {name}: {how}")

    document = {"quick": args.quick, "runs": runs, "figures": [asdict(f) for f in figures]}
    path = write_result(NAME, document)
    with HISTORY.open("a") as history:
        history.write(json.dumps(json.loads(path.read_text())) + "\n")
    print(f"written to {relative_to_root(path)}, appended to {relative_to_root(HISTORY)}")
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
