"""Small statistics helpers shared by the load generator, pgbench parsing and the report."""

import math
import statistics
from collections.abc import Sequence


def percentile(values: Sequence[float], pct: float) -> float:
    """The ``pct`` percentile (0..100) by linear interpolation between closest ranks.

    Matches numpy's default ("linear") method; an empty input gives NaN.
    """
    if not values:
        return math.nan
    if not 0 <= pct <= 100:
        raise ValueError("pct must be between 0 and 100")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100
    low = math.floor(rank)
    high = math.ceil(rank)
    if low == high:
        return float(ordered[low])
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def latency_summary(latencies_ms: Sequence[float]) -> dict[str, float]:
    return {
        "p50_ms": round(percentile(latencies_ms, 50), 2),
        "p95_ms": round(percentile(latencies_ms, 95), 2),
        "p99_ms": round(percentile(latencies_ms, 99), 2),
        "max_ms": round(max(latencies_ms), 2) if latencies_ms else math.nan,
    }


def spread(values: Sequence[float]) -> dict[str, float]:
    """Median and min–max of repeated measurements of one figure."""
    clean = [v for v in values if v is not None and not math.isnan(v)]
    if not clean:
        return {"median": math.nan, "min": math.nan, "max": math.nan, "n": 0}
    return {
        "median": round(statistics.median(clean), 2),
        "min": round(min(clean), 2),
        "max": round(max(clean), 2),
        "n": len(clean),
    }


def ratio(value: float, ceiling: float) -> float:
    if not ceiling or math.isnan(ceiling) or value is None or math.isnan(value):
        return math.nan
    return round(value / ceiling, 3)
