"""Small statistics helpers for bench/flow (stdlib only, no numpy).

Percentiles use the nearest-rank method: p-th percentile = the smallest sample such that at least p% of
the samples are <= it. With 600 samples p99 is the 594th smallest value, so it is always a value that
was actually measured (no interpolation between two samples).
"""

import math


def percentile(sorted_values, p):
    """Nearest-rank percentile of an already sorted list; None for an empty list. 0 < p <= 100."""
    if not sorted_values:
        return None
    if not 0 < p <= 100:
        raise ValueError("p must be in (0, 100]")
    rank = math.ceil(p / 100.0 * len(sorted_values))
    return sorted_values[max(rank, 1) - 1]


def summarize(values):
    """p50/p90/p99/max/min/mean of a list of numbers (any order); the keys are None when it is empty.
    float('inf') stands for a sample that never finished (a timeout): it sorts above every measured one."""
    ordered = sorted(values)
    return {
        "n": len(ordered),
        "n_finite": sum(1 for v in ordered if not math.isinf(v)),
        "min": ordered[0] if ordered else None,
        "p50": percentile(ordered, 50),
        "p90": percentile(ordered, 90),
        "p99": percentile(ordered, 99),
        "max": ordered[-1] if ordered else None,
        "mean": (sum(ordered) / len(ordered)) if ordered else None,
    }


def fmt_ms(seconds):
    """Seconds as whole milliseconds for tables ('-' when missing)."""
    if seconds is None:
        return "-"
    return "%d" % round(seconds * 1000.0)


def ticks_delta(before, after):
    """CPU ticks used between two snapshots {name: ticks}: only names present in both."""
    return {name: after[name] - before[name] for name in before if name in after}
