"""Post Markdown renders code and math; nothing a learner writes runs in another's browser."""

from html.parser import HTMLParser

import pytest

from vibrastic.platform.qa.markup import MAX_POST_CHARACTERS, PostTooLong, render_post


def test_markdown_code_and_math_render() -> None:
    html = render_post("Why is **sigma(2)** 5?\n\n```python\ndef sigma(n):\n    return n\n```\n\n"
                       "Inline $x^2 < y$ and\n\n$$\n\\sum_i i^2\n$$\n")
    assert "<strong>sigma(2)</strong>" in html
    assert '<pre><code class="language-python">def sigma(n):\n    return n\n</code></pre>' in html
    assert '<span class="math inline">x^2 &lt; y</span>' in html
    assert '<div class="math block">' in html and "\\sum_i i^2" in html


def test_links_are_kept_with_rel_and_tables_render() -> None:
    html = render_post("[the deck](https://example.org/deck)\n\n| a | b |\n|---|---|\n| 1 | 2 |\n")
    assert '<a href="https://example.org/deck" rel="nofollow noopener noreferrer">the deck</a>' \
        in html
    assert "<table>" in html and "<td>1</td>" in html


ATTACKS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](java\tscript:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](javascript:alert(1))",
    "![x](https://evil.example/track.png)",
    "![x](//evil.example/track.png)",
    "<svg onload=alert(1)><script>alert(1)</script></svg>",
    "<iframe src=https://evil.example></iframe>",
    '<div style="position:fixed;inset:0">cover</div>',
    "<details open ontoggle=alert(1)>",
    "```\n</code></pre><script>alert(1)</script>\n```",
    "$</span><script>alert(1)</script>$",
    "<!-- <script>alert(1)</script> -->",
    '[x](https://ok.example "title" onmouseover="alert(1)")',
    "<a href='https://ok.example' onclick='alert(1)'>x</a>",
]


class Elements(HTMLParser):
    """Every element and attribute the browser would build from the HTML."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))


@pytest.mark.parametrize("body", ATTACKS)
def test_nothing_executable_survives(body: str) -> None:
    html = render_post(body)
    for tag, attrs in Elements(html).found:
        assert tag not in {"script", "iframe", "svg", "details", "style", "object", "embed"}
        assert not any(name.startswith("on") or name == "style" for name in attrs), (body, html)
        for name in ("href", "src"):
            url = (attrs.get(name) or "").strip().lower()
            assert not url or url.startswith(("https:", "http:", "mailto:", "/")), (body, html)
            assert "evil.example" not in url and not url.startswith("//")


def test_own_images_are_allowed() -> None:
    assert '<img src="/static/figure.svg" alt="fig">' in render_post("![fig](/static/figure.svg)")


def test_class_attributes_are_limited_to_code_languages_and_math() -> None:
    html = render_post("```python onclick\nx\n```")
    assert 'class="language-python"' in html and "onclick" not in html.split(">")[1]


def test_long_and_odd_bodies() -> None:
    assert render_post("\udcff surrogate") == "<p>? surrogate</p>\n"
    with pytest.raises(PostTooLong, match=f"at most {MAX_POST_CHARACTERS} characters; this one "
                                          f"has {MAX_POST_CHARACTERS + 1}"):
        render_post("x" * (MAX_POST_CHARACTERS + 1))
