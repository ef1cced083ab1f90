"""A report as mail: an HTML part, a plain-text part with the same numbers, and the chart of the period as
a PNG drawn here (Pillow) and attached inline (Content-ID), since mail clients block remote images."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

from django.template.loader import render_to_string
from PIL import Image, ImageDraw, ImageFont

from reports.content import ReportContent
from stats.counts import IN_POINTS, MetricValue

CHART_CID = "chart@footfall"
CHART_SIZE = (600, 180)
# Drawn at twice the size shown, so the chart stays sharp on dense screens.
SCALE = 2
BAR = (79, 70, 229)
GRID = (226, 232, 240)
TEXT = (100, 116, 139)
LABELS = {
    "visitors": "Visitors",
    "pageviews": "Pageviews",
    "bounce_rate": "Bounce rate",
    "visit_duration": "Visit duration",
}


@dataclass(frozen=True)
class RenderedReport:
    subject: str
    text: str
    html: str
    chart: bytes  # PNG


@dataclass(frozen=True)
class Figure:
    label: str
    value: str
    change: str
    tone: str  # good, bad or "" (no change, or nothing to compare with)


def duration(seconds: float | int | None) -> str:
    seconds = int(seconds or 0)
    minutes, rest = divmod(seconds, 60)
    return f"{minutes}m {rest:02d}s" if minutes else f"{rest}s"


def _value(name: str, value: float | int | None) -> str:
    if name == "bounce_rate":
        return f"{value or 0}%"
    if name == "visit_duration":
        return duration(value)
    return f"{value or 0:,}"


# Metrics where less is better.
LOWER_IS_BETTER = ("bounce_rate",)


def _change(name: str, metric: MetricValue) -> tuple[str, str]:
    """The change as text ("+12%", "-3 pts") and whether it is good news; empty where there is nothing to
    compare."""
    if metric.change is None:
        return "", ""
    unit = " pts" if name in IN_POINTS else "%"
    better = -metric.change if name in LOWER_IS_BETTER else metric.change
    tone = "good" if better > 0 else "bad" if better < 0 else ""
    return f"{metric.change:+}{unit}", tone


def figures(content: ReportContent) -> list[Figure]:
    return [
        Figure(LABELS[name], _value(name, metric.value), *_change(name, metric))
        for name, metric in content.totals.items()
    ]


def period_title(content: ReportContent) -> str:
    first, last = content.dates.first, content.dates.last
    if content.period == "month":
        return first.strftime("%B %Y")
    return f"{first:%-d %b} to {last:%-d %b %Y}"


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def chart_png(days: list[tuple[date, int]]) -> bytes:
    """A bar per day of the period's visitors, with the peak and the first and last day named."""
    width, height = (side * SCALE for side in CHART_SIZE)
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    font = _font(11 * SCALE)
    top, bottom, left, right = 20 * SCALE, height - 22 * SCALE, 8 * SCALE, width - 8 * SCALE
    draw.line([(left, bottom), (right, bottom)], fill=GRID, width=SCALE)
    peak = max((visitors for _, visitors in days), default=0)
    draw.text((left, 2 * SCALE), f"visitors per day, at most {peak:,}", fill=TEXT, font=font)
    if days:
        step = (right - left) / len(days)
        for index, (_, visitors) in enumerate(days):
            bar_height = (bottom - top) * visitors / peak if peak else 0
            x0 = left + index * step + step * 0.15
            draw.rectangle([(x0, bottom - bar_height), (x0 + step * 0.7, bottom)], fill=BAR)
        draw.text((left, bottom + 5 * SCALE), f"{days[0][0]:%-d %b}", fill=TEXT, font=font)
        last = f"{days[-1][0]:%-d %b}"
        draw.text((right - draw.textlength(last, font=font), bottom + 5 * SCALE), last, fill=TEXT, font=font)
    output = io.BytesIO()
    image.save(output, "PNG", optimize=True)
    return output.getvalue()


def render_report(content: ReportContent, *, dashboard_url: str, unsubscribe_url: str | None) -> RenderedReport:
    """Render the report's subject, both parts and the chart."""
    kind = "Weekly" if content.period == "week" else "Monthly"
    title = period_title(content)
    context = {
        "content": content,
        "site": content.site,
        "title": title,
        "kind": kind,
        "figures": figures(content),
        "chart_cid": CHART_CID,
        "dashboard_url": dashboard_url,
        "unsubscribe_url": unsubscribe_url,
    }
    return RenderedReport(
        subject=f"{kind} report of {content.site.domain}: {title}",
        text=render_to_string("reports/email/report.txt", context),
        html=render_to_string("reports/email/report.html", context),
        chart=chart_png(content.days),
    )
