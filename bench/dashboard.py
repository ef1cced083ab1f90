"""Dashboard speed and weight: a page's HTML plus all its data for a 30-day view, on the dev server.

What is measured
    For the site dashboard and an article's page (the most read article) of the demo site (28 days of generated
    traffic, ~18,000 events, rolled up as `make run` does), the wall time of the page's HTML
    plus every JSON request its script makes (cards, chart, each panel, realtime), issued as
    the browser does: the HTML first, then the data requests six at a time. Budget: < 200 ms
    per page. The baseline, measured in the same run on the same server, is the login page:
    a plain Django page with no stats, so the ratio shows what the stats cost.

    Page weight: the HTML and our own JS and CSS, gzipped (Chart.js excluded, as it is cached
    and the same for every page). Budget: < 100 KB.

How
    A scratch SQLite database under var/bench/ is migrated and filled once (reused after),
    `manage.py runserver --noreload` serves it on a free port, and a logged-in session cookie
    is made directly in the database.

Run
    .venv/bin/python bench/dashboard.py            # 20 repetitions per page
    .venv/bin/python bench/dashboard.py --reps 5
    .venv/bin/python bench/dashboard.py --check    # exit 1 over budget

Results are printed and written to bench/results/dashboard.json.
"""

from __future__ import annotations

import argparse
import gzip
import os
import statistics
import sys
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATABASE = ROOT / "var" / "bench" / "dashboard.sqlite3"
os.environ["DATABASE_URL"] = f"sqlite:///{DATABASE}"
os.environ.pop("REDIS_URL", None)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "analytics_site.settings.local")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.core.management import call_command  # noqa: E402

from bench import free_port, start_server, write_result  # noqa: E402

BUDGET_MS = 200
BUDGET_BYTES = 100 * 1024
PANEL_KINDS = [
    {"property": "visit:source", "metrics": "visitors,visits"},
    {"property": "event:page", "metrics": "visitors,pageviews"},
    {"property": "visit:country", "metrics": "visitors,visits"},
    {"property": "visit:browser", "metrics": "visitors,visits"},
    {"property": "event:name", "metrics": "visitors,events"},
    {"property": "event:goal", "metrics": "visitors,events,conversion_rate"},
]
CARDS = "visitors,visits,pageviews,views_per_visit,bounce_rate,visit_duration,engaged_time"
ARTICLE_CARDS = "visitors,pageviews,visits,engaged_time,scroll_depth"


def prepare() -> tuple[str, str]:
    """Fill the scratch database once; return the demo domain and a logged-in session key."""
    from django.contrib.auth.models import User

    from tracker.demo.traffic import DEMO_DOMAIN
    from tracker.models import Event

    DATABASE.parent.mkdir(parents=True, exist_ok=True)
    call_command("migrate", verbosity=0)
    call_command("bootstrap", "--quiet")
    if not Event.objects.exists():
        call_command("generate_traffic", "--site", DEMO_DOMAIN, "--days", "28", "--visitors", "4000")
    call_command("rollup")
    user = User.objects.get(username="admin")
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    assert session.session_key is not None
    return DEMO_DOMAIN, session.session_key


def fetch(url: str, session_key: str) -> bytes:
    request = urllib.request.Request(url, headers={"Cookie": f"{settings.SESSION_COOKIE_NAME}={session_key}"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return bytes(response.read())


def page_requests(base: str, domain: str, article: str | None) -> tuple[str, list[str]]:
    """The page URL and the data URLs its script requests for a 30-day view."""
    period = {"period": "30d"}
    if article:
        page = f"{base}/sites/{domain}/pages/?" + urllib.parse.urlencode({"path": article})
        scope = {"filters": f"event:page=={article}", "path": article}
    else:
        page = f"{base}/sites/{domain}/"
        scope = {}
    data = f"{base}/sites/{domain}/data/"
    queries: list[tuple[str, dict[str, str]]] = [
        ("aggregate", {"metrics": ARTICLE_CARDS if article else CARDS, "compare": "previous_period"}),
        ("timeseries", {"metrics": "visitors"}),
    ]
    if article:
        queries += [
            ("breakdown", {"property": "visit:source", "metrics": "visitors,visits", "limit": "10"}),
            ("next", {"limit": "10"}),
            ("breakdown", {"property": "event:name", "metrics": "visitors,events", "limit": "10"}),
            ("breakdown", {"property": "visit:country", "metrics": "visitors,visits", "limit": "10"}),
            ("breakdown", {"property": "event:goal", "metrics": "visitors,events,conversion_rate", "limit": "10"}),
            ("scroll", {}),
            ("aggregate", {"metrics": "visits", "filters": f"visit:entry_page=={article}"}),
        ]
    else:
        queries += [("breakdown", {**panel, "limit": "10"}) for panel in PANEL_KINDS] + [("realtime", {})]
    queries.append(("props", {}))  # the custom properties' tabs of the events panel
    return page, [data + kind + "?" + urllib.parse.urlencode({**period, **scope, **params}) for kind, params in queries]


def time_page(page: str, data: list[str], session_key: str, pool: ThreadPoolExecutor) -> float:
    started = time.perf_counter()
    fetch(page, session_key)
    list(pool.map(lambda url: fetch(url, session_key), data))
    return (time.perf_counter() - started) * 1000


def weight(page_html: bytes) -> dict[str, int]:
    """Gzipped bytes of the page's HTML and our own static JS and CSS."""
    files = [
        ROOT / "dashboard" / "static" / "dashboard" / "dashboard.js",
        ROOT / "static" / "css" / "footfall.css",
    ]
    sizes = {"html": len(gzip.compress(page_html))}
    for path in files:
        sizes[path.name] = len(gzip.compress(path.read_bytes()))
    sizes["total"] = sum(sizes.values())
    return sizes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)

    domain, session_key = prepare()
    from django.db.models import Count

    from tracker.models import Event

    most_read = (
        Event.objects.filter(site__domain=domain, name="pageview", path__startswith="/blog/")
        .values("path")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    article = most_read["path"] if most_read else "/"
    port = free_port()
    command = [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"]
    server = start_server(command, port, {**os.environ, "DEBUG": "true"}, seconds=30)
    base = f"http://127.0.0.1:{port}"
    results: dict[str, dict[str, float]] = {}
    try:
        with ThreadPoolExecutor(max_workers=6) as pool:
            login = f"{base}/accounts/login/"
            for label, page, data in [
                ("baseline: login page", login, []),
                ("site dashboard", *page_requests(base, domain, None)),
                ("article page", *page_requests(base, domain, article)),
            ]:
                time_page(page, data, session_key, pool)  # warm
                times = [time_page(page, data, session_key, pool) for _ in range(args.reps)]
                results[label] = {
                    "requests": 1 + len(data),
                    "p50_ms": round(statistics.median(times), 1),
                    "p95_ms": round(sorted(times)[int(0.95 * (len(times) - 1))], 1),
                }
        sizes = weight(fetch(f"{base}/sites/{domain}/", session_key))
    finally:
        server.terminate()
        server.wait(timeout=10)

    baseline = results["baseline: login page"]["p50_ms"]
    print(f"{'page':<22}{'requests':>9}{'p50 ms':>9}{'p95 ms':>9}{'x baseline':>12}  budget {BUDGET_MS} ms")
    for label, row in results.items():
        ratio = row["p50_ms"] / baseline if baseline else 0
        ok = "" if label.startswith("baseline") else ("ok" if row["p95_ms"] < BUDGET_MS else "OVER")
        print(f"{label:<22}{row['requests']:>9}{row['p50_ms']:>9}{row['p95_ms']:>9}{ratio:>12.1f}  {ok}")
    print(
        f"page weight (gzip, without Chart.js): {sizes['total']:,} bytes "
        f"(HTML {sizes['html']:,}, JS {sizes['dashboard.js']:,}, CSS {sizes['footfall.css']:,}); "
        f"budget {BUDGET_BYTES:,}"
    )
    budget = {"p95_ms_below": BUDGET_MS, "weight_bytes_below": BUDGET_BYTES}
    write_result("dashboard", {"reps": args.reps, "budget": budget, "pages": results, "weight": sizes})
    over = any(r["p95_ms"] >= BUDGET_MS for k, r in results.items() if not k.startswith("baseline"))
    return 1 if args.check and (over or sizes["total"] >= BUDGET_BYTES) else 0


if __name__ == "__main__":
    sys.exit(main())
