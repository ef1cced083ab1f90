"""Print the write path's numbers to watch: per stream partition the waiting and pending entries and the
latest batch, the workers reading it, the spool, and the pipeline's counters; `--json` for scripts."""

from __future__ import annotations

import time
from typing import Any

import orjson
import redis
from django.core.management.base import BaseCommand, CommandError

from ops import readings


def _seconds(value: float | None, suffix: str = "") -> str:
    return "-" if value is None else f"{value:,.1f} s{suffix}"


class Command(BaseCommand):
    help = (
        "Show the event stream per partition (waiting, pending, oldest entry, latest batch), its consumers and "
        "their idle times, the spool and the pipeline's counters."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--json", action="store_true", help="print one JSON object instead of tables")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            state = readings.pipeline_state(now=time.time())
        except redis.RedisError as exc:
            raise CommandError(f"Redis is unreachable: {exc}") from exc
        if options["json"]:
            self.stdout.write(orjson.dumps(state, option=orjson.OPT_INDENT_2).decode())
            return
        if state["mode"] == "embedded":
            self.stdout.write("Embedded mode: events are stored in the request; there is no stream to watch.")
        else:
            self._partitions(state["partitions"])
            self._consumers(state["consumers"])
        self.stdout.write(f"\nspool: {state['spool']:,} events waiting for Redis")
        self._counters(state["counters"])

    def _partitions(self, partitions: list[dict[str, Any]]) -> None:
        width = max([len("stream"), *(len(p["stream"]) for p in partitions)])
        self.stdout.write(f"{'stream':<{width}} {'waiting':>9} {'pending':>9} {'oldest':>10}  latest batch")
        for part in partitions:
            batch = part["last_batch"]
            latest = "-"
            if batch:
                rate = batch["entries"] / batch["seconds"] if batch["seconds"] else 0
                latest = (
                    f"{batch['entries']:,} in {batch['seconds'] * 1000:,.0f} ms ({rate:,.0f}/s), "
                    f"{batch['age_seconds']:,.0f} s ago, by {batch['consumer']}"
                )
            self.stdout.write(
                f"{part['stream']:<{width}} {part['waiting']:>9,} {part['pending']:>9,} "
                f"{_seconds(part['oldest_age_seconds']):>10}  {latest}"
            )
        total = {key: sum(p[key] for p in partitions) for key in ("waiting", "pending")}
        self.stdout.write(f"{'all':<{width}} {total['waiting']:>9,} {total['pending']:>9,}")

    def _consumers(self, consumers: dict[str, dict[str, Any]]) -> None:
        self.stdout.write(f"\n{'consumer':<40} {'pending':>9} {'idle':>10} {'last read':>12}")
        for name, consumer in consumers.items():
            self.stdout.write(
                f"{name:<40} {consumer['pending']:>9,} {_seconds(consumer['idle_seconds']):>10} "
                f"{_seconds(consumer['last_seen_seconds'], ' ago'):>12}"
            )
        if not consumers:
            self.stdout.write("(none: no worker has read the stream)")

    def _counters(self, counters: dict[str, Any]) -> None:
        dropped = ", ".join(f"{reason} {n:,}" for reason, n in counters["dropped"].items()) or "none"
        self.stdout.write(
            f"events: {counters['accepted']:,} accepted, {counters['stored']:,} stored in {counters['batches']:,} "
            f"batches, dropped: {dropped}"
        )
        steps = counters["mean_step_seconds_per_batch"]
        if steps:
            self.stdout.write("mean per batch: " + ", ".join(f"{step} {s * 1000:,.1f} ms" for step, s in steps.items()))
