"""A throwaway PostgreSQL server on a local port, from Debian's `postgresql` package: for the tests, the
benchmark and CI (`python -m lessons.core.store.local_postgres start FOLDER PORT` prints its URL).

The cluster lives in its own folder, listens on 127.0.0.1 only, trusts local connections, and is stopped and
deleted by `stop`. As root the server runs as the `postgres` user (PostgreSQL refuses to run as root).
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
from pathlib import Path

URL_ENV = "ZERO_TO_BRAINS_TEST_POSTGRES"


def binaries() -> Path | None:
    """The folder of `initdb` and `pg_ctl` (Debian's newest PostgreSQL), or None when it is not installed."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[4]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _as_server_user(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


def url_of(port: int) -> str:
    """The SQLAlchemy URL of a throwaway server on `port`."""
    return f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"


def start(folder: str | Path, port: int, durable: bool = False) -> str:
    """Create and start a cluster in `folder` on `port`; its URL. `durable=False` turns fsync off (tests)."""
    bin_dir = binaries()
    if bin_dir is None:
        raise FileNotFoundError("PostgreSQL is not installed (Debian: apt-get install postgresql).")
    folder = Path(folder).resolve()
    data = folder / "data"
    if not (data / "PG_VERSION").exists():
        folder.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(folder, "postgres", "postgres")
        subprocess.run(_as_server_user([str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
                                        "--no-sync", "-E", "UTF8", "--locale=C.UTF-8"]),
                       check=True, capture_output=True)
    return resume(folder, port, durable)


def resume(folder: str | Path, port: int, durable: bool = False) -> str:
    """Start an existing (stopped) cluster again; its URL."""
    bin_dir = binaries()
    folder = Path(folder).resolve()
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c max_connections=200"
    if not durable:
        options += " -c fsync=off -c full_page_writes=off"  # survives a server crash, not a machine crash
    log = folder / "server.log"
    started = subprocess.run(_as_server_user([str(bin_dir / "pg_ctl"), "-D", str(folder / "data"), "-o", options,
                                              "-w", "-t", "60", "-l", str(log), "start"]), capture_output=True)
    if started.returncode:
        said = log.read_text(errors="replace")[-2000:] if log.exists() else started.stderr.decode(errors="replace")
        raise RuntimeError(f"PostgreSQL did not start on port {port}:\n{said}")
    return url_of(port)


def halt(folder: str | Path) -> None:
    """Stop the server at once (its connections break), keeping the cluster for `resume`."""
    bin_dir = binaries()
    subprocess.run(_as_server_user([str(bin_dir / "pg_ctl"), "-D", str(Path(folder).resolve() / "data"), "-m",
                                    "immediate", "-w", "stop"]), check=False, capture_output=True)


def stop(folder: str | Path) -> None:
    """Stop the server and delete its cluster."""
    halt(folder)
    shutil.rmtree(folder, ignore_errors=True)


def main(argv: list[str]) -> int:
    """`start FOLDER PORT` prints the URL; `stop FOLDER` stops and deletes."""
    if len(argv) == 3 and argv[0] == "start":
        print(start(argv[1], int(argv[2])))
        return 0
    if len(argv) == 2 and argv[0] == "stop":
        stop(argv[1])
        return 0
    print("usage: python -m lessons.core.store.local_postgres start FOLDER PORT | stop FOLDER", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
