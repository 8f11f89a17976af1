"""Posts are Markdown, shown to other people: render it, then allow only a small, safe HTML set.

markdown-it-py renders CommonMark with raw HTML switched off, math (``$…$``, ``$$…$$``) is kept
as ``<span class="math">`` / ``<div class="math">`` text for KaTeX to typeset in the page, and
nh3 (the Rust ammonia sanitiser) removes anything outside the allow-list: no scripts, no event
handlers, no styles, links only to http, https and mailto, images only from the course server.
Sanitising the rendered HTML (not the Markdown) is what closes the Markdown link and entity tricks.
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin

MAX_POST_CHARACTERS = 20_000

ALLOWED_TAGS = {
    "p", "br", "hr", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li", "a", "img",
    "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td", "span",
    "div", "del", "s",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "code": {"class"},
    "span": {"class"},
    "div": {"class"},
}
URL_SCHEMES = {"http", "https", "mailto"}
CLASS_VALUES = {"math", "inline", "block"} | {f"language-{n}" for n in (
    "python", "py", "text", "bash", "sh", "console", "pycon", "json", "toml")}


class PostTooLong(ValueError):
    """A post body over the limit (the message gives both numbers)."""


def _math_inline(content: str) -> str:
    return f'<span class="math inline">{_escape(content)}</span>'


def _math_block(content: str) -> str:
    return f'<div class="math block">{_escape(content)}</div>'


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_md = (MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
       .enable("table").enable("strikethrough")
       .use(dollarmath_plugin, renderer=lambda content, _opts: (
           _math_block(content) if "\n" in content else _math_inline(content))))
_md.add_render_rule("math_inline", lambda self, tokens, idx, options, env:
                    _math_inline(tokens[idx].content))
_md.add_render_rule("math_block", lambda self, tokens, idx, options, env:
                    _math_block(tokens[idx].content))


def _keep_class(tag: str, attribute: str, value: str) -> str | None:
    if attribute == "class":
        kept = [c for c in value.split() if c in CLASS_VALUES]
        return " ".join(kept) or None
    if tag == "img" and attribute == "src":
        return value if value.startswith("/") and not value.startswith("//") else None
    return value


def render_post(markdown: str) -> str:
    """Safe HTML for a post body; raises PostTooLong past MAX_POST_CHARACTERS."""
    if len(markdown) > MAX_POST_CHARACTERS:
        raise PostTooLong(f"a post may have at most {MAX_POST_CHARACTERS} characters; this one "
                          f"has {len(markdown)}")
    # Lone surrogates cannot be sent to a browser as UTF-8: they become "?".
    markdown = markdown.encode("utf-8", "replace").decode("utf-8")
    html = _md.render(markdown)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        attribute_filter=_keep_class,
        link_rel="nofollow noopener noreferrer",
        strip_comments=True,
    )
