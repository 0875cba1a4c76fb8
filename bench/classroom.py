"""A room of students at once: errors, settle times, slowdown against a lone student, and the server's memory.

`python -m bench classroom [--students 8,16] [--lessons a,b]` starts one server on an empty cache folder and one
Chromium. First one lone student does each lesson's classroom work (`bench.interactions.CLASSROOM`) twice, alone
(the anchor); then every round of N students does it at once, one browser context each, lessons assigned
round-robin. Every visit opens the lesson from a link with its own variant (a seed, a photo), so students compute
their own results rather than reusing each other's — except where a lesson has no such setting (the cortex).
"""

from __future__ import annotations

import asyncio
import itertools
import math
import statistics
import tempfile
import time
import urllib.parse
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from bench import report
from bench.interactions import CLASSROOM
from bench.serve import (
    AppServer,
    chromium_path,
    cpu_seconds,
    exception_texts_async,
    open_page_async,
    processes_named,
)

ROUNDS = (8, 16)
REPEATS = 2
VISIT_TIMEOUT_S = 900.0
SAMPLE_S = 0.5
LEAVE_S = 5.0  # after the last context closed, before "RSS after everyone left" is read
GOAL_ERRORS = 0
GOAL_PEAK_GB = 2.5
GOAL_SLOWDOWN = 4.0
GB = 1e9


@dataclass(frozen=True)
class Visit:
    """One student doing one lesson's work once: seconds from navigation to idle, or the error they saw."""

    lesson: str
    student: int
    repeat: int
    seconds: float | None  # None when the visit failed
    error: str = ""


@dataclass(frozen=True)
class CpuUse:
    """Where the machine's CPU went during a round: the server, and the students' browsers on the same machine."""

    wall_s: float
    server_s: float
    browsers_s: float

    @property
    def browser_share(self) -> float:
        """The browsers' part of the CPU the round used (0 to 1)."""
        used = self.server_s + self.browsers_s
        return self.browsers_s / used if used > 0 else math.nan


@dataclass(frozen=True)
class RoundSummary:
    """What a round of students saw, and the server's memory during and after it."""

    students: int
    errors: int
    median_s: float
    p95_s: float
    median_slowdown: float
    peak_rss_gb: float
    after_rss_gb: float
    cpu: CpuUse | None = None  # where the CPU went (measured rounds)


def assign_lessons(students: int, lessons: Sequence[str]) -> list[str]:
    """The lesson of each student: round-robin over `lessons` in their order."""
    if not lessons:
        raise ValueError("no lessons to assign")
    return [lessons[n % len(lessons)] for n in range(students)]


def percentile(values: Sequence[float], q: float) -> float:
    """The `q`-th percentile (0–100) with linear interpolation between order statistics; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def lone_times(visits: Sequence[Visit]) -> dict[tuple[str, int], float]:
    """The anchor: seconds of each (lesson, repeat) the lone student completed."""
    return {(v.lesson, v.repeat): v.seconds for v in visits if v.seconds is not None}


def slowdowns(visits: Sequence[Visit], lone: dict[tuple[str, int], float]) -> list[float]:
    """Each completed visit's seconds over the lone student's seconds on the same lesson and repeat."""
    return [v.seconds / lone[(v.lesson, v.repeat)] for v in visits
            if v.seconds is not None and lone.get((v.lesson, v.repeat), 0) > 0]


def lesson_medians(visits: Sequence[Visit], lone: dict[tuple[str, int], float], lesson: str) -> tuple[float, float]:
    """Median seconds and median slowdown of one lesson's completed visits (NaN when it has none)."""
    mine = [v for v in visits if v.lesson == lesson]
    seconds = [v.seconds for v in mine if v.seconds is not None]
    ratios = slowdowns(mine, lone)
    return (statistics.median(seconds) if seconds else math.nan, statistics.median(ratios) if ratios else math.nan)


def summarise(students: int, visits: Sequence[Visit], lone: dict[tuple[str, int], float], peak_rss_gb: float,
              after_rss_gb: float, cpu: CpuUse | None = None) -> RoundSummary:
    """Errors, median and p95 seconds, median slowdown against the anchor, and the memory, of one round."""
    seconds = [v.seconds for v in visits if v.seconds is not None]
    ratios = slowdowns(visits, lone)
    return RoundSummary(
        students=students,
        errors=sum(1 for v in visits if v.error),
        median_s=statistics.median(seconds) if seconds else math.nan,
        p95_s=percentile(seconds, 95),
        median_slowdown=statistics.median(ratios) if ratios else math.nan,
        peak_rss_gb=peak_rss_gb,
        after_rss_gb=after_rss_gb,
        cpu=cpu,
    )


def parse_args(argv: Sequence[str]) -> tuple[list[int], list[str]]:
    """`--students 8,16` and `--lessons a,b` (url paths of lessons with classroom work); defaults otherwise."""
    students, lessons = list(ROUNDS), list(CLASSROOM)
    args = list(argv)
    while args:
        flag = args.pop(0)
        if flag not in ("--students", "--lessons") or not args:
            raise SystemExit(f"usage: python -m bench classroom [--students 8,16] [--lessons {','.join(CLASSROOM)}]")
        values = [part for part in args.pop(0).split(",") if part]
        if flag == "--students":
            students = [int(value) for value in values]
            if not students or min(students) < 1:
                raise SystemExit("--students needs positive numbers, e.g. 8,16")
        else:
            unknown = [value for value in values if value not in CLASSROOM]
            if unknown or not values:
                raise SystemExit(f"unknown lessons {unknown}; choose from: {', '.join(CLASSROOM)}")
            lessons = values
    return students, lessons


def _first_line(text: str) -> str:
    return (text.strip().splitlines() or [""])[0][:160]


async def _student(browser, server: AppServer, lesson: str, student: int, variants: Iterator[int]) -> list[Visit]:
    """One student in their own browser context: open the lesson from a link and do its work, REPEATS times."""
    from ui.navigation import LESSONS

    task = CLASSROOM[lesson]
    title = next(item.title for item in LESSONS if item.url_path == lesson)
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    visits = []
    for repeat in range(REPEATS):
        url = f"{server.url}/{lesson}?{urllib.parse.urlencode(task.link(next(variants)))}"
        start = time.monotonic()
        try:
            load = await open_page_async(page, url, title, VISIT_TIMEOUT_S)
            if not load["exceptions"]:
                await task.act(page)
            shown = load["exceptions"] or await exception_texts_async(page)
            seconds = time.monotonic() - start
            visits.append(Visit(lesson, student, repeat, None if shown else seconds,
                                f"exception: {_first_line(shown[0])}" if shown else ""))
        except Exception as error:  # noqa: BLE001  (a timeout or a failed click is this student's error)
            visits.append(Visit(lesson, student, repeat, None, f"{type(error).__name__}: {_first_line(str(error))}"))
        done = visits[-1]
        print(f"  {lesson} student {student} visit {repeat + 1}: "
              f"{done.error or f'{done.seconds:.1f} s'}", flush=True)
    await context.close()
    return visits


async def _sample_peak(server: AppServer, peak: list[int], stop: asyncio.Event) -> None:
    """Keep the highest RSS of the server seen until `stop` is set."""
    while not stop.is_set():
        peak[0] = max(peak[0], server.rss_bytes())
        try:
            await asyncio.wait_for(stop.wait(), SAMPLE_S)
        except TimeoutError:
            pass


def _browsers_cpu_s() -> float:
    return cpu_seconds(processes_named("chrom"))


async def _round(browser, server: AppServer, lessons: Sequence[str], variants: Iterator[int]) -> tuple[
        list[Visit], float, float, CpuUse]:
    """Everyone in `lessons` (one student each) at once; their visits, the peak RSS during it and RSS after (GB),
    and the CPU the server and the browsers used meanwhile."""
    peak, stop = [server.rss_bytes()], asyncio.Event()
    start, server_cpu, browsers_cpu = time.monotonic(), server.cpu_seconds(), _browsers_cpu_s()
    sampler = asyncio.create_task(_sample_peak(server, peak, stop))
    results = await asyncio.gather(*(_student(browser, server, lesson, n, variants)
                                     for n, lesson in enumerate(lessons)))
    stop.set()
    await sampler
    cpu = CpuUse(time.monotonic() - start, server.cpu_seconds() - server_cpu, _browsers_cpu_s() - browsers_cpu)
    await asyncio.sleep(LEAVE_S)
    return [visit for visits in results for visit in visits], peak[0] / GB, server.rss_bytes() / GB, cpu


async def _classroom(server: AppServer, rounds: Sequence[int], lessons: Sequence[str]) -> tuple[
        list[list[Visit]], list[RoundSummary], dict[tuple[str, int], float]]:
    """The lone anchor, then every round; each round's visits and summary (the anchor first), and the anchor's
    seconds by (lesson, repeat)."""
    from playwright.async_api import async_playwright

    from bench.serve import CHROMIUM_ARGS

    variants = itertools.count()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium_path(), headless=True,
                                                   args=CHROMIUM_ARGS)
        lone_visits, peaks, afters, cpus = [], [], [], []
        print("one lone student per lesson", flush=True)
        for lesson in lessons:  # one at a time: each lesson's anchor has the server to itself
            visits, peak, after, cpu = await _round(browser, server, [lesson], variants)
            lone_visits += visits
            peaks.append(peak)
            afters.append(after)
            cpus.append(cpu)
        lone = lone_times(lone_visits)
        lone_cpu = CpuUse(*(sum(getattr(c, name) for c in cpus) for name in ("wall_s", "server_s", "browsers_s")))
        summaries = [summarise(1, lone_visits, lone, max(peaks), afters[-1], lone_cpu)]
        all_visits = [lone_visits]
        for students in rounds:
            print(f"{students} students at once", flush=True)
            visits, peak, after, cpu = await _round(browser, server, assign_lessons(students, lessons), variants)
            summaries.append(summarise(students, visits, lone, peak, after, cpu))
            all_visits.append(visits)
        await browser.close()
    return all_visits, summaries, lone


def main(argv: list[str]) -> bool:
    """Run the anchor and the rounds; judge errors, the largest round's peak RSS and the 8-student slowdown."""
    rounds, lessons = parse_args(argv)
    if chromium_path() is None:
        raise SystemExit("chromium not found; install Debian's chromium: apt-get install -y chromium")
    with tempfile.TemporaryDirectory(prefix="classroom-cache-") as cache, \
            AppServer(env={"ZERO_TO_BRAINS_CACHE": cache}) as server:
        server.wait_healthy(timeout=120)
        visits, summaries, lone = asyncio.run(_classroom(server, rounds, lessons))
        lifetime_peak_gb = server.peak_rss_bytes() / GB
    headers = ["lesson", "lone s (1st, 2nd)", *(f"{s.students} students: median s, slowdown" for s in summaries[1:])]
    rows = []
    for lesson in lessons:
        cells = [", ".join(f"{lone[(lesson, r)]:.1f}" if (lesson, r) in lone else "failed" for r in range(REPEATS))]
        for round_visits in visits[1:]:
            seconds, ratio = lesson_medians(round_visits, lone, lesson)
            cells.append(f"{seconds:.1f}, ×{ratio:.2f}" if lesson in {v.lesson for v in round_visits} else "-")
        rows.append([lesson, *cells])
    report.print_table(headers, rows)
    print()
    report.print_table(["students", "errors", "median s", "p95 s", "median slowdown", "peak rss GB",
                        "rss after GB"],
                       [[s.students, s.errors, s.median_s, s.p95_s, s.median_slowdown, s.peak_rss_gb,
                         s.after_rss_gb] for s in summaries])
    print()
    report.print_table(["students", "wall s", "server CPU s", "browsers CPU s", "browsers' share of the CPU"],
                       [[s.students, s.cpu.wall_s, s.cpu.server_s, s.cpu.browsers_s, s.cpu.browser_share]
                        for s in summaries if s.cpu is not None])
    print("(The students' browsers run on this machine too; in a classroom each runs on its own laptop.)")
    for visit in itertools.chain(*visits):
        if visit.error:
            print(f"  error: {visit.lesson} (student {visit.student}, visit {visit.repeat + 1}): {visit.error}")
    print()
    crowd = summaries[1:] or summaries
    largest = max(crowd, key=lambda s: s.students)
    judged = next((s for s in crowd if s.students == 8), crowd[0])
    errors = report.verdict("classroom-errors", "errors", float(sum(s.errors for s in summaries)), "<=", GOAL_ERRORS)
    # the largest round's sampled peak, or the server's lifetime peak (VmHWM) when higher: a spike between samples
    memory = report.verdict("classroom-memory", "peak_rss_gb", max(largest.peak_rss_gb, lifetime_peak_gb),
                            "<=", GOAL_PEAK_GB)
    slowdown = report.verdict("classroom", "median_slowdown", judged.median_slowdown, "<=", GOAL_SLOWDOWN)
    return errors and memory and slowdown
