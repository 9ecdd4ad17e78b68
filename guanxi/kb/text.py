"""Markdown to safe HTML, and the normalised text that search looks in.

Articles are written by staff but shown to everyone (and may be pasted from anywhere), so the
rendered HTML is sanitised with nh3 (Ammonia): no scripts, no event handlers, no `javascript:`
links, links open without access to the opener.
"""

from __future__ import annotations

import re
import unicodedata

import markdown
import nh3

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre",
    "s", "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead",
    "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"align"},
    "th": {"align"},
    "code": {"class"},
}
URL_SCHEMES = {"http", "https", "mailto"}
SPACE = re.compile(r"\s+")


def render(body: str) -> str:
    """The article's Markdown as sanitised HTML."""
    html = markdown.markdown(body or "", extensions=["extra", "sane_lists"], output_format="html")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )


def plain(html: str) -> str:
    """The text of rendered HTML, without markup."""
    return SPACE.sub(" ", nh3.clean(html, tags=set())).strip()


def normalise(text: str) -> str:
    """Full-width to half-width (NFKC), lower case, single spaces: the form search compares."""
    return SPACE.sub(" ", unicodedata.normalize("NFKC", text or "").casefold()).strip()


def search_text(title: str, tags: list[str], html: str) -> str:
    return normalise(" ".join([title, " ".join(tags), plain(html)]))


def terms(query: str, limit: int = 8) -> list[str]:
    """The words of a search: each must appear in an article. Chinese has no spaces, so a run
    of Chinese characters is one term and matches as a substring: "退货流程" finds
    "退货流程说明"."""
    seen: list[str] = []
    for term in normalise(query).split(" "):
        if term and term not in seen:
            seen.append(term)
    return seen[:limit]
