"""Time to a filled dashboard in a real browser: Chromium opens the demo site's dashboard, served by
gunicorn with the production settings, and waits until every number of the page is in.

What is measured
    For a 30-day and a 12-month view of the demo site (a month of generated traffic, ~20,000 events,
    rolled up as `make run` does, opened through a share link), the time from navigation start to
    the moment the page marks itself filled (`#dashboard[data-loaded]`: cards, chart and every
    panel drawn), with Chart.js and our scripts in the browser's cache, as for a returning reader.
    Budget: p95 < 300 ms. The baseline, in the same run and browser, is the login page's load
    event: a plain page with no stats, so the ratio shows what the data costs.

How
    A database of its own on the local PostgreSQL (footfall_bench_browser), filled once and reused;
    collectstatic into var/bench/browser-static (whitenoise's manifest storage, as in production);
    gunicorn with 4 workers on a free port; Playwright driving Debian's chromium.

Run
    .venv/bin/python bench/browser.py              # 20 repetitions per view
    .venv/bin/python bench/browser.py --reps 5 --check
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as `python bench/browser.py`: import the project, not bench/ siblings
    _root = str(Path(__file__).resolve().parent.parent)
    sys.path[:] = [_root, *(p for p in sys.path[1:] if p != _root)]

from bench import ROOT, bench_environ, free_port, print_table, setup_django, start_server, write_result

NAME = "browser"
DATABASE = "footfall_bench_browser"
STATIC_ROOT = ROOT / "var" / "bench" / "browser-static"
BUDGET_MS = 300
VIEWS = {"30d": "period=30d", "12mo": "period=12mo"}
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
# Set before any script of the page runs: the moment the dashboard marks itself filled.
FILLED_AT = """
new MutationObserver(function (changes, observer) {
  var root = document.getElementById("dashboard");
  if (root && root.dataset.loaded === "true") { window.__filledAt = performance.now(); observer.disconnect(); }
}).observe(document, { subtree: true, attributes: true, attributeFilter: ["data-loaded"] });
"""


def prepare() -> str:
    """Fill the database once (a month of demo traffic, rolled up); return a share token of the demo site."""
    from django.core.management import call_command

    from sites.services import share_link_create
    from tracker.demo.traffic import DEMO_DOMAIN
    from tracker.models import Event

    call_command("bootstrap", "--quiet")
    if not Event.objects.exists():
        call_command("generate_traffic", "--site", DEMO_DOMAIN, "--days", "31", "--visitors", "4000")
    call_command("rollup")
    from sites.models import Site

    return share_link_create(Site.objects.get(domain=DEMO_DOMAIN)).token


def collect_static(environ: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=ROOT,
        env=environ,
        check=True,
        timeout=300,
    )


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def measure(base: str, token: str, reps: int) -> dict[str, list[float]]:
    """Return the milliseconds to a filled page per view, and the baseline's, `reps` each (after a warm-up)."""
    from playwright.sync_api import sync_playwright

    samples: dict[str, list[float]] = {name: [] for name in [*VIEWS, "login page (baseline)"]}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_context().new_page()
        page.add_init_script(FILLED_AT)
        for round_ in range(reps + 1):  # the first round fills the browser's cache and is not counted
            for view, query in VIEWS.items():
                page.goto(f"{base}/share/{token}/?{query}")
                page.wait_for_function("() => window.__filledAt !== undefined", timeout=30_000)
                if round_:
                    samples[view].append(page.evaluate("() => window.__filledAt"))
            page.goto(f"{base}/accounts/login/", wait_until="load")
            timing = page.evaluate("() => performance.getEntriesByType('navigation')[0].loadEventEnd")
            if round_:
                samples["login page (baseline)"].append(timing)
        browser.close()
    return samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--check", action="store_true", help="exit 1 when the budget is missed")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"no Chromium at {CHROMIUM} (apt-get install chromium)")

    stream = "footfall:bench:browser"
    environ = bench_environ(stream, DATABASE, STATIC_ROOT=str(STATIC_ROOT))
    setup_django(stream, DATABASE, STATIC_ROOT=str(STATIC_ROOT))
    token = prepare()
    full_environ = {**os.environ, **environ}
    collect_static(full_environ)
    port = free_port()
    gunicorn = Path(sys.executable).parent / "gunicorn"
    command = [str(gunicorn), "analytics_site.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "4"]
    server = start_server(command, port, full_environ)
    try:
        samples = measure(f"http://127.0.0.1:{port}", token, args.reps)
    finally:
        server.terminate()
        server.wait(timeout=30)

    baseline = percentile(samples["login page (baseline)"], 0.5)
    rows, figures, passed = [], {}, True
    for view, values in samples.items():
        p50, p95 = percentile(values, 0.5), percentile(values, 0.95)
        within = view not in VIEWS or p95 < BUDGET_MS
        passed &= within
        rows.append([view, len(values), p50, p95, p50 / baseline if baseline else 0.0, within])
        figures[view] = {"p50_ms": p50, "p95_ms": p95}
    print(f"\nTime to a filled dashboard in Chromium (production settings, gunicorn), budget p95 < {BUDGET_MS} ms")
    print_table(["page", "n", "p50 ms", "p95 ms", "p50 / baseline", "within budget"], rows)
    write_result(NAME, {"budget_ms": BUDGET_MS, "figures": figures, "passed": passed, "reps": args.reps})
    return 1 if args.check and not passed else 0


if __name__ == "__main__":
    sys.exit(main())
