"""Run the app in a real Streamlit server and drive it with Chromium; shared by the browser tests and benchmarks."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, TypedDict

if TYPE_CHECKING:
    from playwright.async_api import Page as AsyncPage
    from playwright.sync_api import Browser, Page, Playwright

REPO_ROOT = Path(__file__).resolve().parent.parent

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]

# True once the script run has finished: Streamlit's run state on `stApp` says so (where that test hook exists),
# the "Running…" status widget is gone (it unmounts after a 200 ms fade) and no spinner is left on the page.
_IDLE_JS = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    const state = app ? app.getAttribute('data-test-script-state') : null;
    const visible = (sel) => [...document.querySelectorAll(sel)].some((el) => el.checkVisibility());
    return [null, 'notRunning', 'compilationError'].includes(state)
        && !visible('[data-testid="stStatusWidget"]') && !visible('[data-testid="stSpinner"]');
}"""
_POLL_S = 0.1
_SETTLE_S = 0.5
# The page's layout: the main area's width and height and where every chart and table is drawn (canvas or svg).
_LAYOUT_JS = """() => {
    const main = document.querySelector('[data-testid="stMain"]');
    const drawn = [...document.querySelectorAll(
        '[data-testid="stVegaLiteChart"], [data-testid="stPlotlyChart"], [data-testid="stDataFrame"]')];
    const boxes = drawn.map((el) => {
        const box = el.querySelector('canvas, svg')?.getBoundingClientRect();
        return box ? [box.x, box.y, box.width, box.height] : null;
    });
    return JSON.stringify([main?.clientWidth, main?.scrollHeight, ...boxes]);
}"""
_LAYOUT_STABLE_POLLS = 3


class PageLoad(TypedDict):
    """Timings of one page render (seconds from navigation start) and the exception boxes it showed."""

    first_h1_s: float | None  # None when the title never appeared (e.g. the page raised before it)
    settled_s: float
    exceptions: list[str]


def free_port() -> int:
    """Return a TCP port on the loopback interface that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _proc_status_kb(pid: int, field: str) -> int:
    """Return one `kB` field (VmRSS, VmHWM, …) of /proc/PID/status, 0 when the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def cpu_seconds(pids: list[int]) -> float:
    """CPU seconds (user + system, including reaped children's) the processes have used so far; gone ones count 0."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        total += sum(int(value) for value in fields[11:15])  # utime, stime, cutime, cstime
    return total / os.sysconf("SC_CLK_TCK")


def processes_named(name: str) -> list[int]:
    """Ids of the live processes whose command name starts with `name` (e.g. every Chromium process)."""
    found = []
    for comm in Path("/proc").glob("[0-9]*/comm"):
        try:
            if comm.read_text().startswith(name):
                found.append(int(comm.parent.name))
        except (FileNotFoundError, ProcessLookupError):
            continue
    return found


def _descendants(pid: int) -> list[int]:
    """Return the ids of all live descendants of a process, from the parent ids in /proc/*/stat."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        children = parents.get(todo.pop(), [])
        found += children
        todo += children
    return found


class AppServer:
    """`streamlit run app.py` on a free loopback port, logging to a temporary file; a context manager. `env` adds
    (or overrides) environment variables of the server process, e.g. its own ZERO_TO_BRAINS_CACHE."""

    def __init__(self, port: int | None = None, env: Mapping[str, str] | None = None) -> None:
        self.port = port or free_port()
        self.env = dict(env or {})
        self.url = f"http://127.0.0.1:{self.port}"
        self._log_dir = tempfile.TemporaryDirectory(prefix="streamlit-server-")
        self._log_path = Path(self._log_dir.name) / "server.log"
        self._final_log: str | None = None
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the server process (returns at once; see `wait_healthy`)."""
        command = [
            sys.executable, "-m", "streamlit", "run", "app.py",
            "--server.headless", "true",
            "--server.address", "127.0.0.1",
            "--server.port", str(self.port),
            "--browser.gatherUsageStats", "false",
            "--server.fileWatcherType", "none",
        ]  # fmt: skip
        with self._log_path.open("wb") as log:
            self._process = subprocess.Popen(command, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT,
                                             env={**os.environ, **self.env})

    @property
    def pid(self) -> int:
        """Process id of the server."""
        assert self._process is not None, "server not started"
        return self._process.pid

    def wait_healthy(self, timeout: float = 60.0) -> None:
        """Poll `/_stcore/health` until it answers "ok"; raise with the server log if it dies or times out."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process is None or self._process.poll() is not None:
                raise RuntimeError(f"streamlit server exited before it was healthy:\n{self.log_text()}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as response:
                    if response.read().decode().strip() == "ok":
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(_POLL_S)
        raise TimeoutError(f"streamlit server not healthy after {timeout:.0f} s:\n{self.log_text()}")

    def _pids(self) -> list[int]:
        """The server and its child processes."""
        return [self.pid, *_descendants(self.pid)]

    def cpu_seconds(self) -> float:
        """CPU seconds the server and its children have used so far."""
        return cpu_seconds(self._pids())

    def rss_bytes(self) -> int:
        """Current resident memory (VmRSS) of the server and its children, in bytes."""
        return 1024 * sum(_proc_status_kb(pid, "VmRSS") for pid in self._pids())

    def peak_rss_bytes(self) -> int:
        """Peak resident memory (VmHWM) of the server and its children, in bytes."""
        return 1024 * sum(_proc_status_kb(pid, "VmHWM") for pid in self._pids())

    def log_text(self) -> str:
        """Everything the server wrote to stdout and stderr so far."""
        if self._final_log is not None:
            return self._final_log
        return self._log_path.read_text(errors="replace") if self._log_path.exists() else ""

    def stop(self, timeout: float = 10.0) -> None:
        """Terminate the server, kill it if it has not exited after `timeout`, and remove its temporary files."""
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        if self._final_log is None:
            self._final_log = self.log_text()
            self._log_dir.cleanup()

    def __enter__(self) -> AppServer:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def chromium_path() -> str | None:
    """Path of the system Chromium, or None when it is not installed."""
    return shutil.which("chromium")


def launch_chromium(playwright: Playwright) -> Browser:
    """Launch the system Chromium headless (Playwright never downloads a browser here)."""
    path = chromium_path()
    if path is None:
        raise FileNotFoundError("chromium not found; install Debian's chromium: apt-get install -y chromium")
    return playwright.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)


def exception_texts(page: Page) -> list[str]:
    """Texts of the exception boxes on the page."""
    return [box.inner_text() for box in page.locator('[data-testid="stException"]').all()]


_NO_QUEUED_WORK_JS = """() => ![...document.querySelectorAll('[class*="st-key-cancel_"]')]
    .some((el) => el.checkVisibility())"""


def _wait_idle(page: Page, deadline: float) -> None:
    """Wait until the script run has finished, no heavy work the page queued (its waiting panel, `ui.jobs`) waits or
    runs, and the page stayed so for a short settle time."""
    idle_since: float | None = None
    while True:
        now = time.monotonic()
        if page.evaluate(_IDLE_JS) and page.evaluate(_NO_QUEUED_WORK_JS):
            idle_since = idle_since or now
            if now - idle_since >= _SETTLE_S:
                return
        else:
            idle_since = None
        if now > deadline:
            raise TimeoutError("Streamlit was still running the page script when the time ran out")
        time.sleep(_POLL_S)


def wait_layout_stable(page: Page, timeout_s: float = 10.0) -> None:
    """Wait until the page's layout (main area, drawn charts and tables) is the same over a few polls, e.g. after a
    viewport change while charts re-measure their containers, or before clicking into a table."""
    deadline = time.monotonic() + timeout_s
    last, same = None, 0
    while same < _LAYOUT_STABLE_POLLS:
        layout = page.evaluate(_LAYOUT_JS)
        same = same + 1 if layout == last else 0
        last = layout
        if time.monotonic() > deadline:
            raise TimeoutError(f"the page layout was still changing after {timeout_s:.0f} s")
        if same < _LAYOUT_STABLE_POLLS:
            time.sleep(_POLL_S)


def _wait_rendered(page: Page, title: str, start: float, deadline: float) -> PageLoad:
    """Wait for the `h1` `title` (or an exception box), then for the script run to finish; time from `start`."""
    heading = page.locator("h1", has_text=title)
    first = heading.or_(page.locator('[data-testid="stException"]')).first
    first.wait_for(state="visible", timeout=max(deadline - time.monotonic(), 0.001) * 1000)
    first_seen = time.monotonic() - start
    _wait_idle(page, deadline)
    return PageLoad(
        first_h1_s=first_seen if heading.first.is_visible() else None,
        settled_s=time.monotonic() - start,
        exceptions=exception_texts(page),
    )


def wait_idle(page: Page, timeout_s: float = 120.0) -> None:
    """Wait until Streamlit has finished running the page (e.g. after a click) and it stayed idle briefly."""
    _wait_idle(page, time.monotonic() + timeout_s)


def wait_rendered(page: Page, title: str, timeout_s: float = 120.0) -> PageLoad:
    """Wait until the current page shows its `h1` `title` and Streamlit has finished running it (after a click)."""
    start = time.monotonic()
    return _wait_rendered(page, title, start, start + timeout_s)


def open_page(browser_page: Page, url: str, title: str, timeout_s: float = 120.0) -> PageLoad:
    """Navigate to `url` and wait until its `h1` `title` is shown and Streamlit has finished running the page."""
    start = time.monotonic()
    browser_page.goto(url, wait_until="domcontentloaded", timeout=timeout_s * 1000)
    return _wait_rendered(browser_page, title, start, start + timeout_s)


def screenshot_dir() -> Path:
    """The (git-ignored) folder for screenshots, created if needed."""
    path = REPO_ROOT / "screenshots"
    path.mkdir(exist_ok=True)
    return path


def save_screenshot(page: Page, path: Path, max_height: int = 16000) -> Path:
    """Screenshot the whole page: Streamlit scrolls inside `stMain`, so grow the viewport to its content first."""
    viewport = page.viewport_size or {"width": 1280, "height": 900}
    height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]')?.scrollHeight ?? 0")
    page.set_viewport_size({"width": viewport["width"], "height": min(max(height, viewport["height"]), max_height)})
    page.evaluate("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(viewport)
    return path


# ------------------------------------------------------------------------ the same waits for Playwright's async API


# Heavy work queued through `ui.jobs` runs after the script run has ended, while a panel with a Cancel button
# (keyed `cancel_…`) refreshes itself: the student's work is finished only when no such panel is left.
async def wait_idle_async(page: AsyncPage, timeout_s: float = 120.0) -> None:
    """`wait_idle` for an async page, which also waits for the page's queued heavy work (its waiting panel) to end:
    the script run has finished, no work is waiting or running, and the page stayed so for a short settle time."""
    deadline = time.monotonic() + timeout_s
    idle_since: float | None = None
    while True:
        now = time.monotonic()
        if await page.evaluate(_IDLE_JS) and await page.evaluate(_NO_QUEUED_WORK_JS):
            idle_since = idle_since or now
            if now - idle_since >= _SETTLE_S:
                return
        else:
            idle_since = None
        if now > deadline:
            raise TimeoutError("Streamlit was still running the page script when the time ran out")
        await asyncio.sleep(_POLL_S)


async def wait_run_started_async(page: AsyncPage, within_s: float = 3.0) -> bool:
    """After a click: wait until the page is busy (a script run or queued work), for at most `within_s`; return
    whether it was seen busy (a run so quick that it ended between two looks is not seen)."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if not (await page.evaluate(_IDLE_JS) and await page.evaluate(_NO_QUEUED_WORK_JS)):
            return True
        await asyncio.sleep(_POLL_S / 2)
    return False


async def open_page_async(page: AsyncPage, url: str, title: str, timeout_s: float = 120.0) -> PageLoad:
    """`open_page` for an async page: navigate, wait for the `h1` `title` (or an exception box), then for idle."""
    start = time.monotonic()
    deadline = start + timeout_s
    await page.goto(url, wait_until="domcontentloaded", timeout=timeout_s * 1000)
    heading = page.locator("h1", has_text=title)
    first = heading.or_(page.locator('[data-testid="stException"]')).first
    await first.wait_for(state="visible", timeout=max(deadline - time.monotonic(), 0.001) * 1000)
    first_seen = time.monotonic() - start
    await wait_idle_async(page, max(deadline - time.monotonic(), 0.001))
    return PageLoad(
        first_h1_s=first_seen if await heading.first.is_visible() else None,
        settled_s=time.monotonic() - start,
        exceptions=await exception_texts_async(page),
    )


async def exception_texts_async(page: AsyncPage) -> list[str]:
    """Texts of the exception boxes on an async page."""
    return [await box.inner_text() for box in await page.locator('[data-testid="stException"]').all()]
