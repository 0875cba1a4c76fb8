"""The README's notebook example runs as written and gives what its comments say."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

README = Path(__file__).resolve().parents[1] / "README.md"


def notebook_snippet() -> str:
    """The Python block that follows "From a notebook:" in the README."""
    text = README.read_text(encoding="utf-8")
    after = text[text.index("From a notebook:"):]
    return re.search(r"```python\n(.*?)```", after, re.S).group(1)


def test_the_notebook_example_runs_and_matches_its_comments() -> None:
    code = notebook_snippet().replace("steps=64", "steps=4")  # the same calls, fewer optimisation steps
    lines = code.splitlines()
    space: dict = {}
    results = []
    for line in lines:
        statement = line.split("#")[0].rstrip()
        if not statement:
            continue
        if "=" in statement.split("(")[0] or statement.startswith(("from ", "import ")):
            exec(statement, space)  # noqa: S102  (the README's own example)
        else:
            results.append(eval(statement, space))  # noqa: S307
    top, captured, (shape, scores) = results
    assert top[0][0] == "espresso" and top[0][1] > 0.5
    assert {k: v.shape for k, v in captured.items()} == {"stem": (1, 32, 112, 112), "blocks.5": (1, 80, 14, 14)}
    assert shape == (1, 128, 128, 3) and np.asarray(scores).shape == (1,)
