"""Presenter mode (`?present=1`, or the sidebar's toggle): a lesson projected to a room, one section at a time.

Pages mark each section function with `@section`. Every section still runs (later sections use what earlier ones
return); when presenting, each runs inside its own keyed container, and CSS hides every container but the current
slide's. A function whose body draws no header or title (an aside, a comparison, a live view) is a *part* of the
section that ran before it and is shown with it. The lesson's summary (drawn by the router after the page) is the
last slide. `app.py` draws the bar at the top of the page before the page runs (from the sections the last complete
run found, so a page that stops early while heavy work waits keeps its slide) and brings it up to date after.
Exercises show no Check in presenter mode: the instructor reveals the answer to the room (`ui.exercises`).
"""

from __future__ import annotations

import ast
import contextvars
import functools
import inspect
import textwrap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import streamlit as st

PRESENT_PARAM = "present"
KEY_PREFIX = "present_"  # a section's container key: present_<function name>; its CSS class: st-key-present_<name>
BAR_KEY = "presenter_bar"
STYLE_KEY = "presenter_style"
TOGGLE_KEY = "presenter_toggle"
SUMMARY_TITLE = "Summary"
_RUN = "_presenter_run"  # session: the sections recorded by the full run in progress (None when closed)
_SEEN = "_presenter_sections"  # session: page url path -> the sections of its last complete run
_AT = "_presenter_at"  # session: page url path -> (first key of the current slide, its index)
_MAIN = '[data-testid="stMainBlockContainer"] > [data-testid="stVerticalBlock"]'
_IN_SECTION = contextvars.ContextVar("in_presenter_section", default=False)

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Ran:
    """One call of a section function in a run: its container key, its title, and whether it is a part."""

    key: str
    title: str
    part: bool = False


@dataclass(frozen=True)
class Slide:
    """What one step of the presentation shows: a title and the container keys of its section and parts."""

    title: str
    keys: tuple[str, ...]
    summary: bool = False


# ------------------------------------------------------------------------------------------------- pure helpers
def is_on(value: str | Sequence[str] | None) -> bool:
    """Whether a query-parameter value switches presenter mode on ("1", "true", "yes" or "on")."""
    if value is not None and not isinstance(value, str):
        value = value[-1] if len(value) else None
    return value is not None and value.strip().lower() in ("1", "true", "yes", "on")


def config_for(on: bool) -> dict[str, Any]:
    """The extra `st.set_page_config` arguments for presenter mode on or off."""
    return {"initial_sidebar_state": "collapsed"} if on else {}


def slides_of(ran: Sequence[Ran], summary: bool) -> list[Slide]:
    """The presentation's steps: each section with the parts that ran after it, then the summary when there is one."""
    slides: list[Slide] = []
    for one in ran:
        if one.part and slides and not slides[-1].summary:
            slides[-1] = Slide(slides[-1].title, (*slides[-1].keys, one.key))
        else:
            slides.append(Slide(one.title, (one.key,)))
    if summary:
        slides.append(Slide(SUMMARY_TITLE, (), summary=True))
    return slides


def position(slides: Sequence[Slide], at: tuple[str | None, int] | None) -> int:
    """The current slide's index: the slide that starts with the remembered key, else the remembered index clamped
    to the slides there are now (0 when nothing is remembered)."""
    if not slides:
        return 0
    first, index = at if at is not None else (None, 0)
    for i, slide in enumerate(slides):
        if first is not None and slide.keys[:1] == (first,):
            return i
        if first == SUMMARY_TITLE and slide.summary:
            return i
    return min(max(index, 0), len(slides) - 1)


def marker(slide: Slide) -> str:
    """What is remembered of a slide between runs: the key of its section (or the summary's title)."""
    return SUMMARY_TITLE if slide.summary else slide.keys[0]


def bar_text(slides: Sequence[Slide], index: int) -> str:
    """The bar's line: "Section k of n: title"."""
    if not slides:
        return "Presenter mode: this page has no sections."
    return f"Slide {index + 1} of {len(slides)}: {slides[index].title}"


def container_class(key: str) -> str:
    """The CSS class Streamlit gives a container with this key."""
    return f"st-key-{key}"


def _wrapped(key: str) -> str:
    """Selectors of a keyed container and of the layout wrapper Streamlit puts around it."""
    return f'.{container_class(key)}, [data-testid="stLayoutWrapper"]:has(> .{container_class(key)})'


def hiding_css(slides: Sequence[Slide], index: int, last: str | None = None) -> str:
    """CSS that hides every section container but the current slide's and, except on the summary slide, the
    summary: the first divider at the top level of the page after the container keyed `last` (the last one the
    page drew), and everything after that divider."""
    if not slides:
        return ""
    shown = set(slides[index].keys)
    hidden = [key for slide in slides for key in slide.keys if key not in shown]
    rules = []
    if hidden:
        rules.append(",\n".join(_wrapped(key) for key in hidden) + " {display: none !important;}")
    if last and not slides[index].summary and any(slide.summary for slide in slides):
        after = (f'{_MAIN} > [data-testid="stLayoutWrapper"]:has(> .{container_class(last)}) ~ '
                 '[data-testid="stElementContainer"]:has(hr)')
        rules.append(f"{after}, {after} ~ * {{display: none !important;}}")
    return "\n".join(rules)


LARGER_TYPE_CSS = f"""
[data-testid="stMainBlockContainer"] {{max-width: 100%;}}
[data-testid="stMainBlockContainer"] [data-testid="stMarkdownContainer"] :is(p, li) {{font-size: 1.3rem;}}
[data-testid="stMainBlockContainer"] [data-testid="stCaptionContainer"] {{font-size: 1.1rem;}}
[data-testid="stMainBlockContainer"] [data-testid="stWidgetLabel"] p {{font-size: 1.15rem;}}
[data-testid="stMainBlockContainer"] h1 {{font-size: 3.2rem;}}
[data-testid="stMainBlockContainer"] h2 {{font-size: 2.5rem;}}
[data-testid="stMainBlockContainer"] h3 {{font-size: 1.9rem;}}
.{container_class(BAR_KEY)} {{position: sticky; top: 3.75rem; z-index: 990; background: var(--background-color, #fff);
    padding: 0.4rem 0; border-bottom: 1px solid rgba(49, 51, 63, 0.2);}}
.{container_class(BAR_KEY)} [data-testid="stMarkdownContainer"] p {{font-size: 1.2rem; margin: 0;}}
.{container_class(STYLE_KEY)} {{display: none;}}
"""


# ------------------------------------------------------------------------------------------ titles from the source
def _resolved(node: ast.expr, names: Mapping[str, Any]) -> str | None:
    """A string literal, a module constant or a constant's attribute (LESSON.title); None for anything else."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        value = names.get(node.id)
        return value if isinstance(value, str) else None
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in names:
        value = getattr(names[node.value.id], node.attr, None)
        return value if isinstance(value, str) else None
    return None


@functools.lru_cache(maxsize=512)
def _first_heading(source: str) -> tuple[bool, ast.expr | None]:
    """Whether a function's source draws a header or title, and the argument of the first one it draws."""
    try:
        tree = ast.parse(textwrap.dedent(source))
    except SyntaxError:
        return False, None
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
             and node.func.attr in ("header", "title") and isinstance(node.func.value, ast.Name)
             and node.func.value.id == "st"]
    if not calls:
        return False, None
    first = min(calls, key=lambda call: (call.lineno, call.col_offset))
    return True, (first.args[0] if first.args else None)


def heading_of(source: str, names: Mapping[str, Any]) -> str | None:
    """The text of the first `st.header(...)` or `st.title(...)` in a function's source (None when it draws none,
    or its text is computed at run time)."""
    _, argument = _first_heading(source)
    return None if argument is None else _resolved(argument, names)


def docstring_title(doc: str | None, fallback: str) -> str:
    """A short title from a docstring's first line (up to its first colon), else the humanised function name."""
    lines = (doc or "").strip().splitlines()
    line = lines[0].split(":")[0].strip().rstrip(".").strip() if lines else ""
    return line or fallback.replace("_", " ").strip().capitalize()


def describe(func: Callable[..., Any]) -> tuple[str, bool]:
    """A section function's title and whether it is a part (draws no header or title of its own)."""
    target = inspect.unwrap(func)
    try:
        source = inspect.getsource(target)
    except (OSError, TypeError):
        return docstring_title(target.__doc__, target.__name__), False
    draws, _ = _first_heading(source)
    title = heading_of(source, getattr(target, "__globals__", {}))
    return title or docstring_title(target.__doc__, target.__name__), not draws


# --------------------------------------------------------------------------------------------- Streamlit glue
def presenting() -> bool:
    """Whether this run is in presenter mode (the query parameter `present=1`)."""
    return is_on(st.query_params.get_all(PRESENT_PARAM) or None)


def page_config() -> dict[str, Any]:
    """Extra `st.set_page_config` arguments: the sidebar starts collapsed while presenting."""
    return config_for(presenting())


def _toggled() -> None:
    if st.session_state.get(TOGGLE_KEY):
        st.query_params[PRESENT_PARAM] = "1"
    else:
        st.query_params.pop(PRESENT_PARAM, None)


def presenter_toggle() -> None:
    """The sidebar's "Presenter mode" toggle: sets or removes `?present=1`, keeping the page's other parameters."""
    st.session_state[TOGGLE_KEY] = presenting()
    st.sidebar.toggle("Presenter mode", key=TOGGLE_KEY, on_change=_toggled,
                      help="Larger type, one section at a time, answers revealed to the room on request.")


def _fragment_run() -> bool:
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx(suppress_warning=True)
    return bool(ctx is not None and ctx.fragment_ids_this_run)


def section(func: F) -> F:
    """Mark a page section function: while presenting it runs in its own keyed container and is recorded, so the
    bar can show one section at a time; otherwise it runs as it is. Return values pass through."""

    @functools.wraps(func)
    def run_section(*args: Any, **kwargs: Any) -> Any:
        if _IN_SECTION.get() or not presenting():
            return func(*args, **kwargs)
        title, part = describe(func)
        key = KEY_PREFIX + func.__name__
        recorded: list[Ran] | None = None if _fragment_run() else st.session_state.get(_RUN)
        if recorded is not None:
            repeats = sum(1 for one in recorded if one.key == key or one.key.startswith(f"{key}__"))
            key = key if not repeats else f"{key}__{repeats + 1}"
            recorded.append(Ran(key, title, part))
        token = _IN_SECTION.set(True)
        try:
            with st.container(key=key):
                return func(*args, **kwargs)
        finally:
            _IN_SECTION.reset(token)

    return run_section  # type: ignore[return-value]


def record_part(key: str, title: str) -> None:
    """Record a keyed container drawn outside every section (an exercise a page places between sections) as a part
    of the section that ran before it, so it is shown and hidden with that section."""
    if _IN_SECTION.get() or not presenting() or _fragment_run():
        return
    recorded: list[Ran] | None = st.session_state.get(_RUN)
    if recorded is not None and all(one.key != key for one in recorded):
        recorded.append(Ran(key, title, part=True))


def _has_summary(page: str) -> bool:
    from ui.course import active_course

    return active_course().lesson(page) is not None


def _move(page: str, step: int) -> None:
    slides = slides_of(st.session_state.get(_SEEN, {}).get(page, []), _has_summary(page))
    if not slides:
        return
    index = min(max(position(slides, st.session_state.get(_AT, {}).get(page)) + step, 0), len(slides) - 1)
    st.session_state.setdefault(_AT, {})[page] = (marker(slides[index]), index)


@dataclass
class Bar:
    """The presenter bar of one run: the page it belongs to and the slots filled after the page ran."""

    page: str
    line: Any = None
    style: Any = None
    shown: tuple[tuple[Ran, ...], int] | None = None


def _draw(bar: Bar) -> None:
    ran = tuple(st.session_state.get(_SEEN, {}).get(bar.page, ()))
    slides = slides_of(ran, _has_summary(bar.page) and bool(ran))
    index = position(slides, st.session_state.get(_AT, {}).get(bar.page))
    if slides:
        st.session_state.setdefault(_AT, {})[bar.page] = (marker(slides[index]), index)
    if bar.shown == (ran, index):
        return
    bar.shown = (ran, index)
    bar.line.markdown(f":material/co_present: **{bar_text(slides, index)}**" if slides else "")
    no_bar = "" if slides else f".{container_class(BAR_KEY)} {{display: none;}}"
    # markdown, not st.html: a style-only st.html goes to a container of its own, where the CSS of the bar drawn
    # before the page ran would stay next to this one instead of being replaced
    last = ran[-1].key if ran else None
    bar.style.markdown(f"<style>{LARGER_TYPE_CSS}\n{hiding_css(slides, index, last)}\n{no_bar}</style>",
                       unsafe_allow_html=True)


def presenter_bar(page: str) -> Bar | None:
    """Before the page runs: the bar at the top (its line, Previous/Next and the CSS, from the page's last complete
    run) and a fresh record of the sections this run will show; None when not presenting."""
    if not presenting():
        st.session_state.pop(_RUN, None)
        return None
    st.session_state[_RUN] = []
    bar = Bar(page)
    with st.container(key=BAR_KEY, gap=None):
        with st.container(key=STYLE_KEY):  # hidden by its own CSS; a <style> applies wherever it sits
            bar.style = st.empty()
        with st.container(horizontal=True, vertical_alignment="center", gap="small"):
            with st.container(width="stretch"):
                bar.line = st.empty()
            st.button("Previous", key="presenter_previous", icon=":material/arrow_back:", on_click=_move,
                      args=(page, -1))
            st.button("Next", key="presenter_next", icon=":material/arrow_forward:", type="primary", on_click=_move,
                      args=(page, 1))
    _draw(bar)
    return bar


def fill_presenter_bar(bar: Bar | None) -> None:
    """After the page ran: remember the sections it showed and bring the bar's line and CSS up to date."""
    if bar is None:
        return
    ran = st.session_state.pop(_RUN, None)
    if ran is not None:
        st.session_state.setdefault(_SEEN, {})[bar.page] = list(ran)
    _draw(bar)
