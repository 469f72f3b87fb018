"""Tests of collective_impact.report.markdown: Markdown from templates with every value from the data escaped."""

from __future__ import annotations

import html
import re

from nbconvert.filters.markdown_mistune import markdown2html_mistune

from collective_impact.i18n.format import escape
from collective_impact.report.markdown import md, message, names


def test_md_escapes_html_and_markdown_in_values():
    value = "<script>alert(1)</script> *gras* [lien](http://x.fr) http://y.fr $x$ _a_ `code`"
    rendered = markdown2html_mistune(str(md("Partenaire **{name}**", name=value)))
    assert "<script>" not in rendered
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered
    for tag in ("<em>", "<a ", "<code>"):
        assert tag not in rendered
    assert rendered.count("<strong>") == 1  # the template's own Markdown is kept
    assert value in html.unescape(re.sub(r"<[^>]*>", "", rendered))  # the text a reader sees


def test_escape_keeps_a_value_on_one_line():
    rendered = markdown2html_mistune(str(md("Nom : {name}", name="A\n# Titre\n- liste")))
    assert "<h1" not in rendered and "<li>" not in rendered
    assert escape(None) == "—"


def test_message_fills_a_catalogue_template_with_escaped_values():
    text = str(message("report.title_text", "fr", name="<b>Nord</b>", date="1er octobre 2026"))
    assert "&lt;b&gt;Nord&lt;/b&gt;" in text and "<b>" not in text
    assert "1er octobre 2026" in text


def test_names_quotes_escapes_and_counts_the_rest():
    assert names(["A", "B", "C"], "fr") == "«\u00a0A\u00a0», «\u00a0B\u00a0» et «\u00a0C\u00a0»"
    assert names(["A", None, "B"], "en") == "“A” and “B”"
    assert names(["<i>x</i>"], "fr") == "«\u00a0&lt;i&gt;x&lt;/i&gt;\u00a0»"
    shown = names(["A", "B", "C", "D", "E"], "fr", limit=2)
    assert shown.startswith("«\u00a0A\u00a0», «\u00a0B\u00a0»") and "3" in shown
