"""Tests of the PDF report (collective_impact.report.export.export_pdf, ``report --pdf``): what a reader of the
PDF finds in it, read back with pypdf; and the messages when the PDF engine is missing."""

from __future__ import annotations

import base64
import gc
import html
import re
import sys
import threading
from pathlib import Path

import pytest
from pypdf import PdfReader

from collective_impact.cli import main
from collective_impact.errors import RunError
from collective_impact.i18n import t
from collective_impact.i18n.format import format_number
from collective_impact.metrics.assessment import condition_scores
from collective_impact.report import export
from collective_impact.report.export import check_pdf_engine, export_pdf
from collective_impact.report.steps import STEP_IDS, step_number
from collective_impact.store import Store

TERRITORY = "QPV-HAUTS"
#: A4 in PDF points (210 × 297 mm).
A4 = (595.28, 841.89)
#: Pages a demo report may take: a title page, the contents, then seven steps, the essentials, the glossary and the
#: "how to" section, each from a new page (21 for QPV-HAUTS when this was written).
PAGES = range(12, 41)


def plain(text: str) -> str:
    """Text with its spaces (breaking or not) and line ends made single spaces."""
    return " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split())


def outline(reader: PdfReader, items=None, depth: int = 0) -> list[tuple[int, str, int]]:
    """The PDF's bookmarks, flattened: (depth, title, page number from 1)."""
    flat = []
    for item in reader.outline if items is None else items:
        if isinstance(item, list):
            flat += outline(reader, item, depth + 1)
        else:
            flat.append((depth, plain(item.title), reader.get_destination_page_number(item) + 1))
    return flat


def nested_headings(page: str) -> list[tuple[int, str]]:
    """The level 2 to 4 headings of an HTML report as (depth, text), nested as a table of contents nests them."""
    headings = [(int(level), plain(html.unescape(re.sub(r"<[^>]+>", "", re.sub(r'<a class="anchor-link".*?</a>', "",
                                                                             content)))))
                for level, content in re.findall(r"<h([2-4])[^>]*>(.*?)</h\1>", page, flags=re.DOTALL)]
    nested, open_levels = [], []
    for level, text in headings:
        while open_levels and open_levels[-1] >= level:
            open_levels.pop()
        nested.append((len(open_levels), text))
        open_levels.append(level)
    return nested


@pytest.fixture(scope="module")
def demo_pdf(demo_reports):
    path = demo_reports / f"{TERRITORY}.pdf"
    reader = PdfReader(path)
    pages = [plain(page.extract_text()) for page in reader.pages]
    return reader, pages, (demo_reports / f"{TERRITORY}.html").read_text(encoding="utf-8")


@pytest.mark.slow
def test_the_pdf_holds_the_steps_the_name_and_the_scores(demo_pdf, demo_store):
    _, pages, _ = demo_pdf
    text = " ".join(pages)
    for step_id in STEP_IDS:
        number = step_number(step_id)  # 0: a page without number (the essentials, the glossary)
        assert (f"{number}. " if number else "") + t(f"steps.title.{step_id}", "fr") in text, step_id
    tables = Store(demo_store).load(territories=[TERRITORY])
    assert plain(tables["territories"]["name"].iloc[0]) in text
    scores = condition_scores(tables["responses"])
    latest = scores[scores["wave"] == scores["wave"].max()]
    assert len(latest) == 5
    for mean in latest["mean"]:
        assert format_number(mean, "fr", decimals=2) in text, mean


@pytest.mark.slow
def test_the_pdf_is_a4_with_a_title_page_numbered_pages_and_embedded_fonts(demo_pdf):
    reader, pages, _ = demo_pdf
    assert len(reader.pages) in PAGES
    for page in reader.pages:
        assert (float(page.mediabox.width), float(page.mediabox.height)) == pytest.approx(A4, abs=0.5)
    # the title page carries no number; every other page its number out of the total
    total = len(pages)
    assert f"1 / {total}" not in pages[0]
    for number, text in enumerate(pages[1:], 2):
        assert f"{number} / {total}" in text, number
    # fonts embedded: every font of every page carries its font file
    for page in reader.pages:
        fonts = page["/Resources"].get_object().get("/Font", {})
        for font in fonts.values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts")
            descriptor = (descendants[0].get_object() if descendants else font).get("/FontDescriptor")
            if descriptor is not None:  # Type 3 fonts draw their glyphs themselves
                assert {"/FontFile", "/FontFile2", "/FontFile3"} & set(descriptor.get_object()), font


@pytest.mark.slow
def test_the_bookmarks_are_the_headings_and_the_contents_give_their_pages(demo_pdf):
    reader, pages, page_html = demo_pdf
    bookmarks = outline(reader)
    assert [(depth, title) for depth, title, _ in bookmarks] == nested_headings(page_html)
    # the contents (second page) give each step the page its bookmark points to
    contents = pages[1]
    assert contents.startswith(t("report.toc", "fr"))
    for depth, title, page in bookmarks:
        if depth == 0:
            found = re.search(re.escape(title) + r"[ .]*?(\d+)\b", contents)
            assert found is not None and int(found.group(1)) == page, title
    # each step starts its page (the report's closing note, on the last page under the glossary, is extracted first)
    note = re.compile(r"^Rapport généré le .*? n'est pas montré\. ")
    for depth, title, page in bookmarks:
        if depth == 0:
            assert note.sub("", pages[page - 1]).startswith(title), title


@pytest.mark.slow
def test_the_html_figures_are_vectors_and_their_words_are_text_in_the_pdf(demo_pdf):
    _, pages, page_html = demo_pdf
    # the page's figures: SVG (the few of many marks may be PNG), their labels as <text>
    svgs = [base64.b64decode(encoded).decode("utf-8")
            for encoded in re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', page_html)]
    assert len(svgs) >= 8
    labels = {plain(html.unescape(label)) for svg in svgs for label in re.findall(r"<text\b[^>]*>([^<]{8,})</text>", svg)}
    assert len(labels) >= 50
    # printed as vectors: every label of eight letters or more is found in the PDF's text (searchable, selectable)
    text = " ".join(pages)
    assert [label for label in labels if label not in text] == []


@pytest.mark.slow
def test_a_hostile_partner_name_is_text_in_the_pdf(hostile_report):
    text = " ".join(plain(page.extract_text()) for page in PdfReader(hostile_report.out / "QPV-GARE.pdf").pages)
    assert hostile_report.partner_name in text and hostile_report.territory_name in text


# --------------------------------------------------------------------------------------
# without the engine (no kernel)
# --------------------------------------------------------------------------------------


@pytest.fixture
def without_pango(tmp_path, monkeypatch):
    """A ``weasyprint`` that fails to import as WeasyPrint does when Pango is missing (an OSError from cffi)."""
    fake = tmp_path / "fake" / "weasyprint"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text(
        "print('WeasyPrint could not import some external libraries.')\n"
        "raise OSError(\"cannot load library 'libpango-1.0-0': libpango-1.0-0: cannot open shared object file: "
        "No such file or directory\")\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(fake.parent))
    for name in [name for name in sys.modules if name == "weasyprint" or name.startswith("weasyprint.")]:
        monkeypatch.delitem(sys.modules, name)


def test_a_missing_pango_is_a_message_naming_what_to_install_before_any_notebook_runs(demo_store, tmp_path,
                                                                                       without_pango, capsys):
    out = tmp_path / "out"
    assert main(["report", TERRITORY, "--store", str(demo_store), "--out", str(out), "--pdf"]) == 1
    captured = capsys.readouterr()
    assert "apt-get install libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0" in captured.err
    assert "Impossible d'écrire le PDF" in captured.err and "Traceback" not in captured.err
    assert "WeasyPrint could not import" not in captured.out + captured.err  # its English help is not shown
    assert not (out / f"{TERRITORY}.ipynb").exists()  # refused before the notebook ran


def test_a_missing_weasyprint_is_a_message_in_french_and_english(monkeypatch):
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # what Python does for a package that is not installed
    with pytest.raises(RunError, match=r"pip install weasyprint"):
        check_pdf_engine("fr")
    with pytest.raises(RunError, match=r"^Cannot write the PDF: the Python package WeasyPrint is not installed"):
        check_pdf_engine("en")


def test_a_failed_pdf_export_leaves_the_previous_pdf(tmp_path):
    previous = tmp_path / "T.pdf"
    previous.write_bytes(b"%PDF-1.7 previous")
    with pytest.raises(FileNotFoundError):
        export_pdf(tmp_path / "missing.html", previous)
    assert previous.read_bytes() == b"%PDF-1.7 previous"
    assert [p.name for p in Path(tmp_path).iterdir()] == ["T.pdf"]  # no temporary file left behind


class RecordingEngine:
    """A stand-in for WeasyPrint recording whether the garbage collector ran while it wrote each PDF; a document
    whose name is in ``wait`` blocks until that event is set, one named ``broken.html`` fails."""

    def __init__(self):
        self.collector_on = {}
        self.wait = {}
        self.started = {}

    def HTML(self, filename, **_):  # noqa: N802 (WeasyPrint's name)
        engine, name = self, Path(filename).name

        class Document:
            def write_pdf(self):
                engine.started.setdefault(name, threading.Event()).set()
                if name in engine.wait:
                    assert engine.wait[name].wait(10)
                engine.collector_on[name] = gc.isenabled()
                if name == "broken.html":
                    raise ValueError("a layout error")
                return b"%PDF-1.7 " + name.encode()

        return Document()


@pytest.fixture
def engine(monkeypatch):
    recording = RecordingEngine()
    monkeypatch.setattr(export, "check_pdf_engine", lambda lang: recording)
    yield recording
    gc.enable()


def test_the_collector_is_paused_during_an_export_and_back_after_it_even_after_a_failure(engine, tmp_path):
    assert gc.isenabled()
    assert export_pdf(tmp_path / "a.html", tmp_path / "a.pdf").read_bytes() == b"%PDF-1.7 a.html"
    assert engine.collector_on == {"a.html": False}
    assert gc.isenabled()
    with pytest.raises(ValueError, match="a layout error"):
        export_pdf(tmp_path / "broken.html", tmp_path / "broken.pdf")
    assert engine.collector_on["broken.html"] is False
    assert gc.isenabled()
    assert not (tmp_path / "broken.pdf").exists()


def test_a_collector_turned_off_before_an_export_stays_off(engine, tmp_path):
    gc.disable()
    export_pdf(tmp_path / "a.html", tmp_path / "a.pdf")
    assert not gc.isenabled()


def test_concurrent_exports_bring_the_collector_back_only_when_the_last_one_ends(engine, tmp_path):
    engine.wait["slow.html"] = threading.Event()
    slow = threading.Thread(target=export_pdf, args=(tmp_path / "slow.html", tmp_path / "slow.pdf"))
    slow.start()
    try:
        assert engine.started.setdefault("slow.html", threading.Event()).wait(10)
        export_pdf(tmp_path / "quick.html", tmp_path / "quick.pdf")  # starts and ends while the slow one runs
        assert engine.collector_on["quick.html"] is False
        assert not gc.isenabled()  # the slow export is still writing
    finally:
        engine.wait["slow.html"].set()
        slow.join(10)
    assert engine.collector_on["slow.html"] is False
    assert gc.isenabled()
    assert (tmp_path / "slow.pdf").read_bytes() == b"%PDF-1.7 slow.html"


@pytest.mark.slow
def test_batch_pdf_writes_each_pdf_and_the_index_links_it(demo_batch_run):
    _, out, result = demo_batch_run  # the demo batch with --pdf (conftest.py)
    assert result.ok and len(result.results) == 5
    for territory in result.results:
        assert territory.pdf == str(out / f"{territory.territory_id}.pdf")
    index = (out / "index.html").read_text(encoding="utf-8")
    for name in [f"{territory.territory_id}.pdf" for territory in result.results] + ["comparaison.pdf"]:
        assert (out / name).read_bytes()[:5] == b"%PDF-", name
        assert f'href="{name}"' in index, name
    assert '<a class="pdf" href="QPV-GARE.pdf">' in index
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")]  # no temporary file left
