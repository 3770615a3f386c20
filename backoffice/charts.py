"""A small server-side SVG renderer for the dashboard: grouped daily bars, no JavaScript.

Everything is computed with ``Decimal`` (the values are money) and written with a fixed
number of decimals, so the output is deterministic and testable. Text uses
``currentColor``, so the chart follows the admin's light or dark theme. Each bar carries
``data-date``/``data-value`` and a ``<title>`` (a tooltip, and what a screen reader
reads), and the whole chart is ``role="img"`` with a title and a description.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from clicknback.money import euro

TICKS = 4
NICE_STEPS = (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), Decimal(10))


@dataclass(frozen=True)
class Series:
    key: str  # a CSS/data identifier: "credited"
    label: str  # the legend text: "Cashback credited"
    colour: str  # an SVG colour: "#1a7f37"
    values: list[Decimal]


def _n(value: Decimal | int) -> str:
    """A coordinate with one decimal, e.g. ``"12.5"``; integers stay integers."""
    text = f"{Decimal(value).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP):f}"
    return text[:-2] if text.endswith(".0") else text


def nice_step(maximum: Decimal, ticks: int = TICKS) -> Decimal:
    """The smallest 1/2/2.5/5 × 10^k step so that ``ticks`` steps reach ``maximum``."""
    if maximum <= 0:
        return Decimal(1)
    raw = maximum / ticks
    magnitude = Decimal(10) ** raw.adjusted()
    for multiple in NICE_STEPS:
        step = multiple * magnitude
        if step * ticks >= maximum:
            return step
    return 10 * magnitude  # unreachable: 10 × magnitude always covers raw


def _axis_label(value: Decimal) -> str:
    if value == value.to_integral_value():
        return f"€{int(value):,}"
    return euro(value)


def bar_chart(
    *,
    chart_id: str,
    title: str,
    days: list[dt.date],
    series: list[Series],
    width: int = 760,
    height: int = 300,
) -> SafeString:
    left, right, top, bottom = 72, 16, 40, 36
    plot_w, plot_h = Decimal(width - left - right), Decimal(height - top - bottom)
    maximum = max((v for s in series for v in s.values), default=Decimal(0))
    step = nice_step(maximum)
    top_value = step * TICKS
    slot = plot_w / max(len(days), 1)
    group = slot * Decimal("0.8")
    bar_w = group / max(len(series), 1)
    base_y = Decimal(top) + plot_h

    totals = ", ".join(f"{s.label.lower()} {euro(sum(s.values, Decimal(0)))}" for s in series)
    period = f"{days[0]:%-d %b} to {days[-1]:%-d %b %Y}" if days else "no days"
    desc = f"Daily amounts from {period}: {totals}."
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="cnb-chart" id="{escape(chart_id)}" '
        f'viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" '
        f'data-max="{maximum}" data-days="{len(days)}" style="max-width:{width}px;font:11px system-ui,sans-serif">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-desc">{escape(desc)}</desc>',
        '<g class="cnb-chart__grid">',
    ]
    for tick in range(TICKS + 1):
        value = step * tick
        y = base_y - plot_h * tick / TICKS
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{_n(y)}" y2="{_n(y)}" stroke="currentColor" '
            f'stroke-opacity="{"0.5" if tick == 0 else "0.15"}"/>'
            f'<text x="{left - 8}" y="{_n(y + 4)}" text-anchor="end" fill="currentColor">'
            f"{escape(_axis_label(value))}</text>"
        )
    parts.append("</g>")
    for index, s in enumerate(series):
        parts.append(f'<g class="cnb-chart__series" data-series="{escape(s.key)}" fill="{escape(s.colour)}">')
        for day_index, (day, value) in enumerate(zip(days, s.values, strict=True)):
            if value <= 0:
                continue
            bar_h = max(plot_h * value / top_value, Decimal(1))
            x = Decimal(left) + slot * day_index + (slot - group) / 2 + bar_w * index
            parts.append(
                f'<rect x="{_n(x)}" y="{_n(base_y - bar_h)}" width="{_n(max(bar_w - 1, Decimal(1)))}" '
                f'height="{_n(bar_h)}" rx="1.5" data-date="{day.isoformat()}" data-value="{value}">'
                f"<title>{escape(f'{day:%-d %b}: {s.label.lower()} {euro(value)}')}</title></rect>"
            )
        parts.append("</g>")
    parts.append('<g class="cnb-chart__days" fill="currentColor">')
    label_every = max(1, (len(days) + 5) // 6)
    for day_index, day in enumerate(days):
        if day_index % label_every and day_index != len(days) - 1:
            continue
        x = Decimal(left) + slot * day_index + slot / 2
        parts.append(f'<text x="{_n(x)}" y="{height - bottom + 18}" text-anchor="middle">{day:%-d %b}</text>')
    parts.append("</g>")
    legend_x = left
    parts.append('<g class="cnb-chart__legend">')
    for s in series:
        parts.append(
            f'<rect x="{legend_x}" y="12" width="12" height="12" rx="2" fill="{escape(s.colour)}"/>'
            f'<text x="{legend_x + 18}" y="22" fill="currentColor" style="font-size:12px">{escape(s.label)}</text>'
        )
        legend_x += 30 + 7 * len(s.label)
    parts.append("</g>")
    if maximum <= 0:
        parts.append(
            f'<text x="{_n(Decimal(left) + plot_w / 2)}" y="{_n(Decimal(top) + plot_h / 2)}" text-anchor="middle" '
            f'fill="currentColor" style="font-size:13px">No cashback credited or paid out in this period</text>'
        )
    parts.append("</svg>")
    # Every dynamic value above is escaped (reviewed: ruff S308, bandit B308/B703).
    return mark_safe("".join(parts))  # noqa: S308  # nosec
