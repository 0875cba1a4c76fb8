"""Uniform benchmark output: a table, then one verdict line `NAME: metric=value goal<op><target> PASS|FAIL`."""

from __future__ import annotations

import operator
from collections.abc import Sequence

_OPS = {">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt}


def format_value(value: float) -> str:
    """Format a metric compactly: 3 significant digits."""
    return f"{value:.3g}"


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """Print a plain-text table with aligned columns."""
    cells = [[str(h) for h in headers]] + [[c if isinstance(c, str) else format_value(c) if isinstance(c, float)
                                            else str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    for n, row in enumerate(cells):
        print("  ".join(c.ljust(w) for c, w in zip(row, widths)))
        if n == 0:
            print("  ".join("-" * w for w in widths))


def verdict(name: str, metric: str, value: float, op: str, target: float) -> bool:
    """Print the benchmark's last line and return whether the goal is met."""
    passed = _OPS[op](value, target)
    print(f"{name}: {metric}={format_value(value)} goal{op}{format_value(target)} {'PASS' if passed else 'FAIL'}")
    return passed
