"""GitHub's renderer over a comment, and what a reader of the rendered HTML can see."""

from __future__ import annotations

from html.parser import HTMLParser

import cmarkgfm
from cmarkgfm.cmark import Options

# What cmqinfra's own markdown produces once rendered: anything else came from a string.
OWN_TAGS = {"h2", "h3", "p", "strong", "code", "ul", "li", "blockquote", "details", "summary", "pre",
            "table", "thead", "tbody", "tr", "th", "td", "em", "br", "hr"}


OWN_COMMENTS = {" cmqinfra: optional sections ", " cmqinfra plan "}


def render(markdown: str) -> str:
    """The comment as GitHub renders it (raw HTML allowed, as GitHub allows details and summary)."""
    return cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)


class Page(HTMLParser):
    """The elements, attributes and visible text of a rendered page (comments are not visible)."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str | None]] = []
        self.comments: list[str] = []
        self.text_parts: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes.extend(attrs)

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)

    def handle_data(self, data: str) -> None:
        self.text_parts.append(data)

    @property
    def text(self) -> str:
        return "".join(self.text_parts)


def assert_no_injection(page: Page) -> None:
    stray = sorted(set(page.tags) - OWN_TAGS)
    assert not stray, f"elements that came from a string: {stray}"
    # cmqinfra's own markdown gives alignment on table cells and a language on its code blocks.
    own = {("align", "right"), ("lang", "diff"), ("lang", "text"), ("lang", "mermaid"), ("open", None)}
    stray_attributes = sorted(set(page.attributes) - own, key=str)
    assert not stray_attributes, f"attributes that came from a string: {stray_attributes}"
    # cmqinfra's own markers only (the comment layout's); a string can never open one.
    stray_comments = [c for c in page.comments if c not in OWN_COMMENTS]
    assert not stray_comments, f"an HTML comment hides part of the page: {stray_comments}"
