"""Tests of collective_impact.report.svg_text: the figures' texts drawn in one piece by WeasyPrint, read back from
the PDF's content streams with pypdf (which text operators, where, with how many glyphs)."""

from __future__ import annotations

import contextlib
import types
import unicodedata
from pathlib import Path

import pytest
from pypdf import PdfReader
from pypdf.generic import ContentStream

from collective_impact.report import svg_text
from collective_impact.report.export import check_pdf_engine, export_pdf

FIGURE = """<svg xmlns="http://www.w3.org/2000/svg" width="300" height="120" viewBox="0 0 300 120">
<g font-family="DejaVu Sans" font-size="10px">
<text x="150" y="20" text-anchor="middle">Score moyen</text>
<text x="10" y="40">Cre\u0301teil</text>
<text x="10" y="60" dx="0 3 3 3">ABCD</text>
<text x="10" y="80">Total <tspan font-weight="bold">12</tspan></text>
</g></svg>"""


def text_operations(pdf: Path) -> list[tuple[str, list]]:
    """The first page's text positions and text shows, XObjects included, in drawing order: ("Tm", [e, f]) for a
    text matrix's translation, ("TJ", n) for a show of n glyphs."""
    reader = PdfReader(pdf)
    page = reader.pages[0]
    found = []

    def walk(content, resources):
        for operands, operator in ContentStream(content, reader).operations:
            if operator == b"Tm":
                found.append(("Tm", [float(v) for v in operands[4:]]))
            elif operator == b"TJ":
                found.append(("TJ", sum(1 for item in operands[0] if isinstance(item, str))))
            elif operator == b"Tj":
                found.append(("TJ", len(operands[0])))
            elif operator == b"Do":
                xobject = resources["/XObject"][operands[0]].get_object()
                walk(xobject, xobject.get("/Resources", resources))

    walk(page.get_contents(), page["/Resources"])
    return found


@pytest.fixture
def figure_page(tmp_path):
    (tmp_path / "figure.svg").write_text(FIGURE, encoding="utf-8")
    page = tmp_path / "page.html"
    page.write_text('<!doctype html><meta charset="utf-8"><img src="figure.svg">', encoding="utf-8")
    return page


@contextlib.contextmanager
def weasyprint_alone():
    """WeasyPrint's own drawing, letter by letter, inside the block; ours again after it."""
    check_pdf_engine()
    svg_text.uninstall()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(svg_text, "install", lambda weasyprint: False)
        yield
    check_pdf_engine()
    assert svg_text.installed()


def shows(operations):
    return [count for operator, count in operations if operator == "TJ"]


def test_each_simple_text_is_one_show_and_positioned_letters_stay_apart(figure_page, tmp_path):
    check_pdf_engine()
    assert svg_text.installed()
    pdf = export_pdf(figure_page, tmp_path / "page.pdf")
    # "Score moyen" (11), "Créteil" with its accent joined to its letter (7 glyphs for 8 code points), "A", "B",
    # "C", "D" placed one by one by dx, "Total " (6) and the tspan "12" (2)
    assert shows(text_operations(pdf)) == [11, 7, 1, 1, 1, 1, 6, 2]
    words = unicodedata.normalize("NFC", PdfReader(pdf).pages[0].extract_text()).split()
    assert words == ["Score", "moyen", "Créteil", "A", "B", "C", "D", "Total", "12"]


def test_weasyprint_alone_draws_every_code_point_apart(figure_page, tmp_path):
    with weasyprint_alone():
        letters = text_operations(export_pdf(figure_page, tmp_path / "letters.pdf"))
    # one show per code point but spaces (not drawn): "Score moyen" 10, "Créteil" 8 (the accent apart from its
    # letter), "ABCD" 4, "Total " 5, "12" 2
    assert len(shows(letters)) == 10 + 8 + 4 + 5 + 2


def test_texts_start_where_weasyprint_alone_starts_them(figure_page, tmp_path):
    whole = text_operations(export_pdf(figure_page, tmp_path / "whole.pdf"))
    with weasyprint_alone():
        letters = text_operations(export_pdf(figure_page, tmp_path / "letters.pdf"))

    def starts(operations):
        return [place for operator, place in operations if operator == "Tm"]

    whole_starts, letter_starts = starts(whole), starts(letters)
    # each text starts at its x and y in both (the anchor's shift is the group's, outside the text matrix)
    for x_y in ([150.0, 20.0], [10.0, 40.0], [10.0, 80.0]):
        assert x_y in whole_starts and x_y in letter_starts
    # the letters that dx places one by one are at the same places in both
    assert [p for p in whole_starts if p[1] == 60.0] == [p for p in letter_starts if p[1] == 60.0]
    assert len([p for p in whole_starts if p[1] == 60.0]) == 4


def test_an_unchecked_weasyprint_version_is_left_as_it_is():
    check_pdf_engine()
    import weasyprint.svg

    svg_text.uninstall()
    original = weasyprint.svg.TAGS["text"]
    try:
        assert svg_text.install(types.SimpleNamespace(__version__="71.0")) is False
        assert not svg_text.installed()
        assert weasyprint.svg.TAGS["text"] is original and weasyprint.svg.text is original
    finally:
        check_pdf_engine()
    assert svg_text.installed()
    assert weasyprint.svg.TAGS["text"] is not original and weasyprint.svg.TAGS["text"].__wrapped__ is original
