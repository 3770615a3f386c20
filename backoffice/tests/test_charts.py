import datetime as dt
import re
from decimal import Decimal

import pytest

from backoffice.charts import Series, bar_chart, nice_step

DAYS = [dt.date(2026, 11, 1) + dt.timedelta(days=i) for i in range(5)]


def bars(svg: str, series: str) -> list[dict]:
    group = re.search(rf'data-series="{series}"[^>]*>(.*?)</g>', svg, re.S).group(1)
    return [
        {"height": Decimal(h), "date": d, "value": Decimal(v)}
        for h, d, v in re.findall(r'height="([\d.]+)" rx="1.5" data-date="([\d-]+)" data-value="([\d.]+)"', group)
    ]


@pytest.mark.parametrize(
    ("maximum", "step"),
    [
        ("0", "1"),
        ("3", "1"),
        ("7", "2"),
        ("9.5", "2.5"),
        ("12.34", "5"),
        ("100", "25"),
        ("101", "50"),
        ("0.07", "0.02"),
    ],
)
def test_nice_step_covers_the_maximum_in_four_round_steps(maximum, step):
    assert nice_step(Decimal(maximum)) == Decimal(step)


def test_bars_are_proportional_to_their_values():
    # given
    series = [
        Series("a", "A", "#000", [Decimal("10.00"), Decimal("20.00"), Decimal("0"), Decimal("5.00"), Decimal("0")])
    ]

    # when
    svg = bar_chart(chart_id="c", title="T", days=DAYS, series=series)

    # then: the scale tops out at 20 (4 × 5); the plot is 300 - 40 - 36 = 224 high
    drawn = bars(svg, "a")
    assert [b["date"] for b in drawn] == ["2026-11-01", "2026-11-02", "2026-11-04"]
    assert [b["height"] for b in drawn] == [Decimal("112"), Decimal("224"), Decimal("56")]


def test_each_bar_has_a_readable_tooltip():
    # when
    svg = bar_chart(chart_id="c", title="T", days=DAYS[:1], series=[Series("a", "Paid out", "#000", [Decimal("7.5")])])

    # then
    assert "<title>1 Nov: paid out €7.50</title>" in svg


def test_chart_is_an_accessible_image_with_a_summary():
    # when
    svg = bar_chart(
        chart_id="c",
        title="Money per day",
        days=DAYS,
        series=[Series("a", "Credited", "#0a0", [Decimal("1.00")] * 5), Series("b", "Paid", "#00a", [Decimal(0)] * 5)],
    )

    # then
    assert 'role="img" aria-labelledby="c-title c-desc"' in svg
    assert '<title id="c-title">Money per day</title>' in svg
    assert "Daily amounts from 1 Nov to 5 Nov 2026: credited €5.00, paid €0.00." in svg


def test_text_is_escaped():
    # when
    svg = bar_chart(
        chart_id="c", title="<script>x</script>", days=DAYS[:1], series=[Series("a", "A&B", "#000", [Decimal(1)])]
    )

    # then
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    assert "A&amp;B" in svg


def test_an_all_zero_chart_draws_no_bars_and_says_so():
    # when
    svg = bar_chart(chart_id="c", title="T", days=DAYS, series=[Series("a", "A", "#000", [Decimal(0)] * 5)])

    # then
    assert bars(svg, "a") == []
    assert "No cashback credited or paid out in this period" in svg


def test_rendering_is_deterministic_and_float_free():
    # given: the autouse FloatOperation trap turns any float/Decimal mix into an error
    series = [Series("a", "A", "#000", [Decimal("0.01"), Decimal("9999.99"), Decimal("3.33"), Decimal(1), Decimal(2)])]

    # when
    first = bar_chart(chart_id="c", title="T", days=DAYS, series=series)
    second = bar_chart(chart_id="c", title="T", days=DAYS, series=series)

    # then
    assert first == second
    assert "e+" not in first.lower()
