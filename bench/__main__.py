"""`python -m bench` lists the benchmarks; `python -m bench NAME` runs one (its last line is the verdict)."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path

_NOT_BENCHMARKS = {"report", "serve"}


def available() -> dict[str, str]:
    """Return benchmark name → one-line description, from the modules of this package."""
    found = {}
    for info in pkgutil.iter_modules([str(Path(__file__).parent)]):
        if info.name.startswith("_") or info.name in _NOT_BENCHMARKS:
            continue
        module = importlib.import_module(f"bench.{info.name}")
        if hasattr(module, "main"):
            found[info.name] = (module.__doc__ or "").strip().splitlines()[0]
    return dict(sorted(found.items()))


def main(argv: list[str]) -> int:
    """Run the named benchmark, or list them all."""
    benches = available()
    if not argv:
        print("Benchmarks (run one with `python -m bench NAME`):")
        for name, description in benches.items():
            print(f"  {name:<12} {description}")
        return 0
    name = argv[0]
    if name not in benches:
        print(f"unknown benchmark {name!r}; choose from: {', '.join(benches)}", file=sys.stderr)
        return 2
    module = importlib.import_module(f"bench.{name}")
    return 0 if module.main(argv[1:]) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
