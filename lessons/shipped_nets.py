"""The digit networks' trained weights that ship in `assets/nets/`, and the command that regenerates them.

Every lesson built on digits would otherwise train its networks on its first visit (the digit CNN alone takes about
6 s on two cores, the rotation-augmented one longer). Training is deterministic per seed, and the files are small,
so the app ships them: each network's `load_or_train` reads the shipped copy when the disk cache has none.

Regenerate after changing a digit network or its training (bump its cache version first)::

    python -m lessons.shipped_nets

Unit tests check that every shipped file is present under its current name, and that the shipped digit CNN is what
training makes today.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from lessons.core import cache, registry
from lessons.core.nets import digit_vae, mnist_cnn, mnist_mlp
from lessons.core.runtime import RANDOM_SEED
from lessons.shift import pipeline

#: The rotation setting of the data-and-shift lesson whose augmented CNN ships (the page's default).
AUGMENTED_DEGREES = 180


def _augmented(shipped: bool) -> Path:
    pipeline.augmented_cnn(AUGMENTED_DEGREES, seed=RANDOM_SEED, shipped=shipped)
    return pipeline.augmented_cache_path(AUGMENTED_DEGREES, seed=RANDOM_SEED)


def _makers() -> dict[str, Callable[[], Path]]:
    """Each shipped file's name → a function that trains it into the current cache folder (never from a shipped
    copy) and returns its path."""
    def in_cache(module, **kwargs) -> Callable[[], Path]:
        def make() -> Path:
            module.load_or_train(shipped=False, **kwargs)
            return module.cache_path(kwargs.get("seed", 0))
        return make

    makers = {
        mnist_cnn.cache_path(RANDOM_SEED): in_cache(mnist_cnn, seed=RANDOM_SEED),
        mnist_cnn.cache_path(registry.SECOND_READER_SEED): in_cache(mnist_cnn, seed=registry.SECOND_READER_SEED),
        mnist_mlp.cache_path(RANDOM_SEED): in_cache(mnist_mlp, seed=RANDOM_SEED),
        digit_vae.cache_path(RANDOM_SEED): in_cache(digit_vae, seed=RANDOM_SEED),
    }
    makers[pipeline.augmented_cache_path(AUGMENTED_DEGREES, seed=RANDOM_SEED)] = lambda: _augmented(False)
    return {path.name: make for path, make in makers.items()}


def shipped_names() -> list[str]:
    """The file names that ship in `assets/nets/` for today's networks and training recipes."""
    return sorted(_makers())


def regenerate(folder: Path = cache.SHIPPED_DIR) -> list[Path]:
    """Train every shipped network afresh in an empty cache and copy the files into `folder` (older files of other
    names are removed); returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory(prefix="shipped-nets-") as scratch:
        previous = os.environ.get(cache.CACHE_ENV)
        os.environ[cache.CACHE_ENV] = scratch
        try:
            for name, make in _makers().items():
                print(f"training {name}…", flush=True)
                written.append(Path(shutil.copy2(make(), folder / name)))
        finally:
            if previous is None:
                os.environ.pop(cache.CACHE_ENV, None)
            else:
                os.environ[cache.CACHE_ENV] = previous
    for stale in folder.glob("*.pt"):
        if stale.name not in {path.name for path in written}:
            stale.unlink()
    return written


if __name__ == "__main__":
    for path in regenerate():
        print(f"{path} ({path.stat().st_size / 1e3:.0f} kB)")
    sys.exit(0)
