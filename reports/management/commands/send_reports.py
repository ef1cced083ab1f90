"""Send what is due (reports and alerts: the cron line of the embedded mode), or one site's report now."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from reports import periods
from reports.content import report_content
from reports.delivery import (
    Counted,
    current,
    dashboard_url,
    report_email,
    send_due_alerts,
    send_due_reports,
    send_report,
)
from reports.models import Subscription
from reports.render import render_report
from sites.models import Site, normalise_domain
from stats import DateRange


class Command(BaseCommand):
    help = (
        "Without --site: send every report and alert that is due (run it from cron in the embedded mode). "
        "With --site: that site's report of the last complete week or month (or the one holding --date), "
        "printed (--dry-run), sent to one address (--to), or else to the period's subscribers (once each)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--site", help="Domain of the site to report on")
        parser.add_argument("--period", choices=periods.PERIODS, default=periods.WEEK)
        parser.add_argument("--date", help="A day (YYYY-MM-DD) of the week or month to report")
        parser.add_argument("--dry-run", action="store_true", help="Print the report's plain-text part; send nothing")
        parser.add_argument("--to", help="Send the report to this address only")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["site"]:
            if options["to"] or options["date"] or options["dry_run"]:
                raise CommandError("--to, --date and --dry-run need --site.")
            self._send_due()
            return
        site = Site.objects.filter(domain=normalise_domain(options["site"])).first()
        if site is None:
            raise CommandError(f"No site {options['site']!r}.")
        dates = self._dates(site, options["period"], options["date"])
        if options["dry_run"]:
            self._print(site, options["period"], dates)
        elif options["to"]:
            self._send_to(site, options["period"], dates, options["to"])
        else:
            self._send_to_subscribers(site, options["period"], dates)

    def _send_due(self) -> None:
        now = timezone.now()
        for name, outcome in (("reports", send_due_reports(now)), ("alerts", send_due_alerts(now))):
            done = ", ".join(f"{count} {status}" for status, count in sorted(outcome.statuses.items())) or "none due"
            self.stdout.write(f"{name}: {done}.")

    def _dates(self, site: Site, period: str, day: str | None) -> DateRange:
        if not day:
            return periods.last_completed(period, timezone.now(), site.timezone)
        try:
            return periods.period_containing(period, date.fromisoformat(day), site.timezone)
        except ValueError as exc:
            raise CommandError(f"--date {day!r} is not a date in the form YYYY-MM-DD.") from exc

    def _print(self, site: Site, period: str, dates: DateRange) -> None:
        content = report_content(site, period, dates, periods.previous(period, dates))
        rendered = render_report(content, dashboard_url=dashboard_url(site), unsubscribe_url=None)
        self.stdout.write(f"Subject: {rendered.subject}\n\n{rendered.text}")

    def _send_to(self, site: Site, period: str, dates: DateRange, to: str) -> None:
        content = report_content(site, period, dates, periods.previous(period, dates))
        key = f"{site.id}/{to}/on-request/{period}/{dates.first}/{timezone.now().isoformat()}"
        report_email(content, to=to, unsubscribe=None, key=key).send(fail_silently=False)
        self.stdout.write(f"Sent the {period}ly report of {site.domain} ({dates.first} to {dates.last}) to {to}.")

    def _send_to_subscribers(self, site: Site, period: str, dates: DateRange) -> None:
        counted: Counted = {}
        subscriptions = current(Subscription.objects.filter(site=site, period=period))
        for sub in subscriptions:
            status = send_report(sub, dates, timezone.now(), counted) or "sent before (or being sent)"
            self.stdout.write(f"{sub.address}: {status}.")
        if not subscriptions:
            self.stdout.write(f"{site.domain} has no {period}ly subscriber; --to names an address.")
