"""What a student would trip on in a rendered page, measured in the browser: horizontal scrolling and clipped text."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict

if TYPE_CHECKING:
    from playwright.sync_api import Page

#: Widths every page is looked at: a laptop and a phone.
WIDTHS = (1400, 430)

# How far the page scrolls sideways: the main area (Streamlit scrolls inside it) and the document itself.
_OVERFLOW_JS = """() => {
    const main = document.querySelector('[data-testid="stMain"]');
    const doc = document.scrollingElement;
    return Math.max(main ? main.scrollWidth - main.clientWidth : 0, doc.scrollWidth - doc.clientWidth);
}"""

# Text cut off by its own box: an element that hides (or ellipsises) what does not fit and has more than fits.
# Elements that scroll (code blocks, tables in their own frame) are not clipped: the student can scroll them.
_CLIPPED_JS = """(scope) => {
    const roots = [...document.querySelectorAll(scope)];
    const found = [];
    for (const root of roots) {
        for (const el of root.querySelectorAll('p, li, h1, h2, h3, h4, label, span, a, div')) {
            if (!el.checkVisibility() || !el.textContent.trim()) continue;
            const box = el.getBoundingClientRect();  // off-screen (a collapsed sidebar) is not clipped
            if (box.width === 0 || box.right <= 0 || box.left >= window.innerWidth) continue;
            if (el.closest('svg, canvas, [data-testid="stDataFrame"], [data-testid="stTable"], pre, .katex')) continue;
            const style = getComputedStyle(el);
            const hides = ['hidden', 'clip'].includes(style.overflowX) || style.textOverflow === 'ellipsis';
            if (!hides) continue;
            const direct = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
            if (!direct && el.children.length > 0 && style.textOverflow !== 'ellipsis') continue;
            if (el.scrollWidth > el.clientWidth + 1) {
                found.push(el.textContent.trim().slice(0, 80));
            }
        }
    }
    return [...new Set(found)];
}"""

MAIN_AND_SIDEBAR = '[data-testid="stMain"], [data-testid="stSidebar"]'


class ViewProblems(TypedDict):
    """What is wrong with one view of a page."""

    exceptions: list[str]
    overflow_px: int
    clipped: list[str]


def horizontal_overflow(page: Page) -> int:
    """Pixels the page scrolls sideways (0 when everything fits the viewport's width)."""
    return int(page.evaluate(_OVERFLOW_JS))


def clipped_texts(page: Page, scope: str = MAIN_AND_SIDEBAR) -> list[str]:
    """The (first 80 characters of the) texts cut off by their own box inside `scope`."""
    return list(page.evaluate(_CLIPPED_JS, scope))


def view_problems(page: Page, exceptions: list[str], check_clipping: bool = True) -> ViewProblems:
    """Everything a student would trip on in the current view."""
    return ViewProblems(exceptions=exceptions, overflow_px=max(horizontal_overflow(page), 0),
                        clipped=clipped_texts(page) if check_clipping else [])


def failed(problems: ViewProblems) -> bool:
    """Whether a view fails: an exception, horizontal scrolling or clipped text."""
    return bool(problems["exceptions"] or problems["overflow_px"] > 1 or problems["clipped"])
