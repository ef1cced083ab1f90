"""Generate realistic demo visits for a site and run them through the real pipeline."""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from tqdm import tqdm

from sites.selectors import site_by_domain
from tracker import pipeline
from tracker.demo.traffic import TrafficGenerator
from tracker.models import Event


class Command(BaseCommand):
    help = "Generate synthetic visits (deterministic per --seed) through the ingest pipeline."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--site", required=True, help="Domain of an existing site")
        parser.add_argument("--days", type=int, default=30)
        parser.add_argument("--visitors", type=int, default=5000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--end", help="Last moment, ISO 8601 (default: now)")
        parser.add_argument("--batch", type=int, default=1000, help="Events per pipeline batch")
        parser.add_argument("--if-empty", action="store_true", help="Do nothing if the site already has events")

    def handle(self, *args: Any, **options: Any) -> None:
        site = site_by_domain(options["site"])
        if site is None:
            raise CommandError(f"No site {options['site']!r}; create it first.")
        if options["days"] < 1 or options["visitors"] < 1 or options["batch"] < 1:
            raise CommandError("--days, --visitors and --batch must be positive.")
        if options["if_empty"] and Event.objects.filter(site=site).exists():
            self.stdout.write(f"{site.domain} already has events; no demo traffic generated.")
            return
        end = datetime.fromisoformat(options["end"]) if options["end"] else timezone.now()
        if timezone.is_naive(end):
            end = end.replace(tzinfo=UTC)
        generator = TrafficGenerator(
            site_id=site.id,
            domain=site.domain,
            days=options["days"],
            visitors=options["visitors"],
            end=end,
            seed=options["seed"],
        )
        totals: Counter[str] = Counter()
        started = time.perf_counter()
        with tqdm(total=options["days"], unit="day", desc=f"traffic for {site.domain}", file=self.stderr) as bar:
            for hits in generator.days_of_hits():
                for start in range(0, len(hits), options["batch"]):
                    batch = [pipeline.pseudonymise(hit) for hit in hits[start : start + options["batch"]]]
                    result = pipeline.process_batch(batch)
                    totals["generated"] += result.received
                    totals["stored"] += result.stored
                    totals.update({str(reason): n for reason, n in result.dropped.items()})
                bar.update(1)
                bar.set_postfix(events=totals["generated"])
        seconds = time.perf_counter() - started
        dropped = ", ".join(f"{n} {reason}" for reason, n in totals.items() if reason not in ("generated", "stored"))
        self.stdout.write(
            f"Generated {totals['generated']:,} events for {site.domain} over {options['days']} days: "
            f"{totals['stored']:,} stored{f', dropped {dropped}' if dropped else ''} "
            f"({totals['generated'] / max(seconds, 1e-9):,.0f} events/s)."
        )
