"""Which database the class store uses: a URL from the environment or secrets, else SQLite in the cache folder."""

from __future__ import annotations

from functools import lru_cache

from lessons.core.folders import cache_dir
from lessons.core.store.classes import ClassStore

DATABASE_ENV = "ZERO_TO_BRAINS_DATABASE_URL"
#: The SQLite file of a laptop class (in the user cache folder).
SQLITE_NAME = "classes.sqlite3"


def default_url() -> str:
    """The embedded default: a SQLite file in the user cache folder."""
    return f"sqlite:///{cache_dir() / SQLITE_NAME}"


def normalised_url(url: str) -> str:
    """A database URL with the driver this app installs (`postgres://…` and `postgresql://…` use psycopg 3)."""
    url = url.strip()
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


@lru_cache(maxsize=4)
def store_at(url: str) -> ClassStore:
    """The one store of a URL in this process (opening it migrates the schema; a failure is not remembered)."""
    return ClassStore(normalised_url(url))
