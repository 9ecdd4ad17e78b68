"""Markdown rendering is safe, and search text is normalised."""

from hypothesis import given
from hypothesis import strategies as st

from guanxi.kb import text


def test_markdown_is_rendered():
    html = text.render(
        "# 标题\n\n**粗体** and a [link](https://example.com)\n\n| a | b |\n|---|---|\n| 1 | 2 |"
    )
    assert "<h1>标题</h1>" in html
    assert "<strong>粗体</strong>" in html
    assert 'href="https://example.com"' in html and 'rel="noopener noreferrer nofollow"' in html
    assert "<table>" in html


def test_scripts_handlers_and_javascript_links_are_removed():
    html = text.render(
        '<script>alert(1)</script>\n\n<img src="x" onerror="alert(2)">\n\n'
        '[click](javascript:alert(3))\n\n<a href="data:text/html,hi">d</a>'
    )
    assert "<script" not in html and "alert(1)" not in html
    assert "onerror" not in html
    assert "javascript:" not in html
    assert "data:text" not in html


@given(st.text(max_size=300))
def test_rendering_never_lets_a_script_through(body):
    html = text.render(body + "<script>x</script><iframe src=//e></iframe>")
    assert "<script" not in html.lower()
    assert "<iframe" not in html.lower()


def test_normalise_folds_width_and_case():
    assert text.normalise("ＡＢＣ　退货\tPolicy") == "abc 退货 policy"


@given(st.text(max_size=100))
def test_normalise_is_idempotent(value):
    once = text.normalise(value)
    assert text.normalise(once) == once


def test_terms_split_on_spaces_and_drop_repeats():
    assert text.terms("  退货  Refund 退货 ") == ["退货", "refund"]
    assert text.terms("") == []
