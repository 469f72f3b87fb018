"""Export an executed report notebook: a self-contained HTML page, and its PDF.

:func:`export_html` turns the executed notebook into a self-contained HTML file: no code,
no prompts, figures embedded (SVG, or PNG where smaller: see
:meth:`~collective_impact.report.blocks.Block.image`), a table of contents, no JavaScript.
:func:`export_pdf` prints that page to an A4 PDF with WeasyPrint: a title page, the table
of contents with page numbers, the headings as bookmarks, page numbers in the footer,
tables and figures kept whole on a page, fonts embedded, text selectable. The print
layout is the ``@media print`` part of the report template (``templates/report/``), which
a browser's "print" follows too.

Why WeasyPrint rather than headless Chromium (nbconvert's webpdf, Playwright's
``page.pdf``): it is made for paged media, so the table of contents gets its page numbers
(``target-counter``), the headings their bookmarks (``bookmark-level``) and the footer its
numbers (``@page`` margin boxes) from CSS alone, in one pass and in this process; Chromium
has no ``target-counter``, so page numbers in a table of contents would need a second
rendering, and it starts a browser of a few hundred megabytes per export. WeasyPrint needs
Pango from the system (``apt-get install libpango-1.0-0 libpangoft2-1.0-0``), checked by
:func:`check_pdf_engine` before any notebook runs.

Where a PDF's time goes (WeasyPrint 70, the demo report of QPV-NORD: 30 pages, 13 SVG and 3
PNG figures; CPU seconds on a two-core machine loaded by other programs, load average 10 to
14): 3.2 to 3.5 s, 24 times the HTML export (0.14 s). Laying out the pages (parsing, styles,
line breaking, tables, page boxes) takes 1.5 to 1.8 s; drawing and writing 1.6 to 1.8 s, of
which 0.6 to 0.8 s for the figures' text (the same page with the SVG text removed: 2.6 s),
which WeasyPrint lays out letter by letter, about 0.5 s for their other marks and 0.2 s to
re-encode the PNG figures (since then the figures are all SVG). What is done here:

* the CSS the page cannot use is left out of the HTML (see :func:`_without_unused_css`),
  which spares WeasyPrint parsing and matching 240 kB of JupyterLab's styles;
* a figure's texts are drawn in one piece instead of letter by letter
  (:mod:`~collective_impact.report.svg_text`, installed by :func:`check_pdf_engine`);
* the garbage collector is paused while WeasyPrint works (see :func:`_collector_paused`);
* the figures' styles are SVG attributes rather than CSS declarations, which WeasyPrint
  reads without its CSS parser, and the groups that only name what they hold are left out
  (two thousand in a report: see :func:`collective_impact.plots.images.svg`), and so is the
  rotation by zero degrees matplotlib writes on every horizontal text (2 % of a PDF's work,
  counted in instructions by valgrind's cachegrind: 14.18 against 14.51 billion on QPV-CANAL);
  each use of a marker (the ticks, the points) is written as the marker's own path where the
  use puts it, which WeasyPrint would otherwise open and lay out again for each of a report's
  three hundred, the clips that cut nothing (244 of 429: the marks that stay a point away
  from their axes' edges) are left out, and so are the blanks between tags (see
  :func:`collective_impact.plots.images.svg`): the same pixels on every page of the demo's
  reports, 3 % fewer instructions (13.75 against 14.17 billion on QPV-CANAL) and 4.5 to 8 %
  less time (best of five or seven taken in turn: 1.80 against 1.89 s, 1.83 against 1.95 s,
  1.92 against 2.09 s; fewer objects to allocate and write than the instructions show).
  Leaving out the clips of marks that touch an edge (a band, a heat map's cells) would save
  0.5 % more, but poppler then smooths that edge's pixels differently (up to 111 levels of
  255 on a few pixels);
* HarfBuzz's subsetter (``libharfbuzz-subset0``), when present, embeds the fonts' letters
  (0.4 s less than fontTools, which WeasyPrint uses otherwise).

Together, on the demo reports (2026-12, a two-core machine whose speed drifts by a fifth
from one run to the next): 1.6 to 2.0 s of CPU per PDF on a quiet machine (2026-12-05: 1.56
to 1.93 s), 0.70 to 0.75 times WeasyPrint as it comes (letter by letter, collector running)
interleaved in the same run by ``benchmarks/report_size.py``, which also prints the ratio to
the HTML export (13 to 15 times). What is left is WeasyPrint's own layout of the pages (two
thirds) and the figures' marks.

What was measured and not adopted, so that the figures stay vectors with their words as text
(selectable, searchable, sharp when printed and zoomed):

* Raster figures for the PDF. WeasyPrint decodes and re-encodes every PNG (an alpha channel
  twice), so the same page with its figures as matplotlib PNGs at print resolution takes
  2.9 s (RGBA) or 2.6 to 2.8 s (RGB), no better than SVG; only JPEGs pass through as they
  are (2.0 s, but a PDF of 3.6 MB instead of 0.76 MB, and blurred edges on the text). And
  drawing the rasters costs more than it saves: the 16 figures as 140-dpi JPEGs take 3.3 s
  of matplotlib (their SVG 2.1 to 2.6 s), in the kernel of every report, PDF or not (the
  batch must not slow down); rasterising the SVG at PDF time with resvg took 2.3 s for the
  13 figures at 1,400 pixels.
* Text drawn as paths (matplotlib's ``svg.fonttype = "path"``): five times slower to print,
  four times heavier, and the words no longer searchable.
* A ``FontConfiguration`` shared between documents, or one font family in the figures
  instead of the fallback list: no gain measured. Nor from caching WeasyPrint's layout of
  each letter.
* Headless Chromium (Playwright's ``page.pdf``): 0.7 to 0.8 s per report plus 0.5 s to start
  it, but a PDF three times heavier, and the contents' page numbers would need a second pass.
* Counted in instructions (cachegrind, the export of QPV-CANAL's report, 14.5 billion), where
  timings on this machine drift by a fifth: the SVG figures are 28 % of the work (the same page
  with blank figures: 10.4 billion), their texts 13 %, the clip paths 3 %, the groups drawn for
  the texts centred or aligned right 1 %. Fixed table layout for the report's tables would
  save 3.5 %, but the column widths would then be guessed from the text rather than measured;
  reusing the measure of each figure text for its drawing, 1 %; one font family, 0.2 %.

nbconvert and WeasyPrint are imported inside the functions that need them: the guided
evaluation app imports this module through :mod:`~collective_impact.report.execute` in its
Voila kernel, which should not load them until the evaluator asks for the report.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import functools
import gc
import html
import io
import os
import re
import threading
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from collective_impact._version import __version__
from collective_impact.errors import RunError
from collective_impact.files import write_bytes
from collective_impact.i18n import LANGS, check_lang, t
from collective_impact.i18n.format import format_date
from collective_impact.paths import TEMPLATES_DIR
from collective_impact.report import svg_text

__all__ = ["check_pdf_engine", "export_html", "export_pdf", "toc_entries"]

REPORT_TEMPLATE = "report"
#: The system libraries WeasyPrint loads, as Debian names their packages (HarfBuzz's subsetter is optional:
#: without it WeasyPrint embeds the fonts' letters through fontTools, 0.4 s slower per report).
PDF_SYSTEM_PACKAGES = "libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0"

_HEADING = re.compile(r"^(#{2,3})[ \t]+(.+?)[ \t]*#*[ \t]*$", re.MULTILINE)
_TITLE = re.compile(r"^#[ \t]+\S", re.MULTILINE)
_FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.MULTILINE | re.DOTALL)
_RENDERED = re.compile(r'<h([23]) id="([^"]*)">(.*?)(?:<a class="anchor-link"[^>]*>.*?</a>)?</h\1>', re.DOTALL)


def _cell_markdown(cell) -> list[str]:
    """The Markdown texts a cell shows: its source (Markdown cell) or ``text/markdown`` outputs."""
    if cell.cell_type == "markdown":
        return [cell.source]
    sources = []
    for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
        data = output.get("data", {})
        if "text/markdown" in data and "text/html" not in data:
            value = data["text/markdown"]
            sources.append("".join(value) if isinstance(value, list) else value)
    return sources


def _markdown_sources(nb) -> list[str]:
    """Every Markdown text a report shows, in order."""
    return [source for cell in nb.cells for source in _cell_markdown(cell)]


def _title_cell(nb) -> int:
    """Index of the first cell showing a level-1 heading (the title), or -1."""
    for index, cell in enumerate(nb.cells):
        if any(_TITLE.search(_FENCE.sub("", source)) for source in _cell_markdown(cell)):
            return index
    return -1


def toc_entries(nb) -> list[dict]:
    """The table of contents of a notebook: its level-2 and level-3 Markdown headings.

    Each entry is ``{"level": 2|3, "id": anchor, "html": heading content}``. The heading is
    rendered by nbconvert's own Markdown renderer, so the anchor is the one nbconvert
    gives the heading in the exported page, and the content is HTML-escaped by it.
    """
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    entries = []
    for source in _markdown_sources(nb):
        for match in _HEADING.finditer(_FENCE.sub("", source)):
            rendered = markdown2html_mistune(match.group(0))
            found = _RENDERED.search(rendered)
            if found:
                entries.append({"level": int(found.group(1)), "id": found.group(2), "html": found.group(3).strip()})
    return entries


_EXPORTERS = threading.local()


def _exporter(lang: str):
    """An HTMLExporter configured for reports in ``lang``, built once per thread and language."""
    cache = getattr(_EXPORTERS, "cache", None)
    if cache is None:
        cache = _EXPORTERS.cache = {}
    if lang not in cache:
        from nbconvert import HTMLExporter

        exporter = HTMLExporter(
            template_name=REPORT_TEMPLATE,
            extra_template_basedirs=[str(TEMPLATES_DIR)],
            exclude_input=True,
            exclude_input_prompt=True,
            exclude_output_prompt=True,
            embed_images=True,
            language_code=lang,
        )
        exporter.register_preprocessor(_tag_remover(lang), enabled=True)
        exporter.register_filter("base64", _base64)
        cache[lang] = exporter
    return cache[lang]


def _tag_remover(lang: str):
    from nbconvert.preprocessors import TagRemovePreprocessor

    others = {f"lang-{other}" for other in LANGS if other != lang}
    return TagRemovePreprocessor(
        remove_cell_tags={"remove_cell", *others},
        remove_all_outputs_tags={"remove_output"},
        remove_input_tags={"remove_input"},
        enabled=True,
    )


def _clean_for_report(nb, lang: str):
    """A copy of ``nb`` as a report shows it: tagged cells removed, no stderr, no empty code cell."""
    nb = copy.deepcopy(nb)
    nb, _ = _tag_remover(lang).preprocess(nb, {})
    kept = []
    for cell in nb.cells:
        if cell.cell_type == "code":
            # warnings printed by libraries are for the developer, not the report's reader
            cell.outputs = [o for o in cell.get("outputs", [])
                            if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
            if not cell.outputs:
                continue  # a code cell without output shows nothing once its code is hidden
        kept.append(cell)
    nb.cells = kept
    return nb


def export_html(nb, html_path: str | os.PathLike, *, title: str, lang: str = "fr") -> Path:
    """Write the executed notebook ``nb`` as a self-contained HTML report.

    No code and no prompts (only Markdown, tables and figures; figures are SVG or PNG
    embedded as ``data:`` images), cells tagged ``remove_cell`` / ``remove_output`` / ``remove_input``
    handled, cells tagged ``lang-xx`` for another language removed, library warnings
    (stderr) dropped, a ``<title>``, a table of contents of the level-2 and level-3
    headings, and no JavaScript (no require.js, MathJax or widget scripts), so the file
    reads offline.

    Parameters
    ----------
    nb
        An executed notebook (``NotebookNode``) or the path of one.
    html_path
        Where to write the report (through :func:`collective_impact.files.write_bytes`: a
        failure leaves the previous report, or none).
    title
        The page title (plain text, escaped by the template).
    lang
        Language of the page's own text (table of contents, footer) and its ``lang`` attribute.
    """
    import nbformat

    check_lang(lang)
    if isinstance(nb, str | os.PathLike):
        nb = nbformat.read(nb, as_version=4)
    nb = _clean_for_report(nb, lang)
    nb.metadata["title"] = title
    resources = {
        "report": {
            "lang": lang,
            "toc": toc_entries(nb),
            "toc_after": _title_cell(nb),
            "toc_label": t("report.toc", lang),
            "figure_alt": t("report.figure_alt", lang),
            "footer": t("report.footer", lang, date=format_date(date.today(), lang), version=__version__),
        }
    }
    body, _ = _exporter(lang).from_notebook_node(nb, resources=resources)
    write_bytes(html_path, _without_unused_css(body).encode("utf-8"), lang=lang)
    return Path(html_path)


def _base64(text: str) -> str:
    """The template's ``base64`` filter: an SVG figure's text as the base64 of a ``data:`` address."""
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


# --------------------------------------------------------------------------------------
# CSS the page does not use
# --------------------------------------------------------------------------------------
# nbconvert's lab template inlines JupyterLab's whole stylesheet (240 kB: thousands of rules
# for the editor, widgets, menus, and a thousand custom properties, icons included), which a
# static report almost never uses: a third of every report's weight, and CPU time in every
# PDF for WeasyPrint to parse and match. Two things can be left out without changing how the
# page looks, since it runs no script that could add a class: a rule every selector of which
# names a class that no element of the page has (it matches nothing), and a custom property
# (``--jp-…``) that no kept declaration reads through ``var()``, directly or through another.

_STYLE = re.compile(r"(<style[^>]*>)(.*?)(</style>)", re.DOTALL)
_CLASS_ATTRIBUTE = re.compile(r"""\sclass\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""", re.IGNORECASE)
_VAR = re.compile(r"var\(\s*(--[A-Za-z0-9_-]+)")
#: At-rules holding rules, pruned inside; any other at-rule (@font-face, @keyframes, @page) is kept whole.
_GROUPING_AT_RULES = {"media", "supports", "layer", "container"}


@dataclass(frozen=True)
class _Declaration:
    """One declaration of a rule: its text, the custom property it sets (or ``""``) and those it reads."""

    text: str
    sets: str
    reads: frozenset[str]


@dataclass(frozen=True)
class _Rule:
    """A rule of a stylesheet, parsed once. A style rule has ``head`` (its selectors), ``needs`` (the
    classes each selector needs) and ``declarations``; a grouping at-rule (@media…) has ``head`` and
    ``inner``; any other rule only ``text``, kept as it is."""

    head: str = ""
    needs: tuple[frozenset[str], ...] | None = None
    declarations: tuple[_Declaration, ...] = ()
    inner: tuple[_Rule, ...] | None = None
    text: str = ""


def _needed_classes(selector: list) -> frozenset[str]:
    """Classes a selector needs on some element: ``.a.b > .c`` needs a, b and c; a class inside a
    pseudo-class function (``:not(.x)``, ``:is(.x, .y)``) is not needed, nor one in ``[class~=x]``."""
    return frozenset(token.value for before, token in zip(selector, selector[1:], strict=False)
                     if before.type == "literal" and before.value == "." and token.type == "ident")


def _style_rule(rule) -> _Rule:
    import tinycss2

    selectors, current = [], []
    for token in rule.prelude:
        if token.type == "literal" and token.value == ",":
            selectors.append(current)
            current = []
        elif token.type not in ("whitespace", "comment"):
            current.append(token)
    selectors.append(current)
    declarations = []
    for item in tinycss2.parse_blocks_contents(rule.content, skip_comments=True, skip_whitespace=True):
        if item.type == "declaration":
            text = item.serialize()
            declarations.append(_Declaration(text, item.name if item.name.startswith("--") else "",
                                             frozenset(_VAR.findall(text))))
        elif item.type != "error":  # a nested rule: kept with its parent, read as a whole
            text = item.serialize()
            declarations.append(_Declaration(text, "", frozenset(_VAR.findall(text))))
    return _Rule(head=tinycss2.serialize(rule.prelude).strip(),
                 needs=tuple(_needed_classes(selector) for selector in selectors), declarations=tuple(declarations))


def _rules(tokens) -> tuple[_Rule, ...]:
    import tinycss2

    parsed = []
    for rule in tokens:
        if rule.type == "qualified-rule":
            parsed.append(_style_rule(rule))
        elif rule.type == "at-rule" and rule.lower_at_keyword in _GROUPING_AT_RULES and rule.content is not None:
            inner = tinycss2.parse_rule_list(rule.content, skip_comments=True, skip_whitespace=True)
            parsed.append(_Rule(head=f"@{rule.at_keyword}{tinycss2.serialize(rule.prelude)}", inner=_rules(inner)))
        elif rule.type != "error":
            parsed.append(_Rule(text=rule.serialize()))
    return tuple(parsed)


@functools.lru_cache(maxsize=16)
def _stylesheet(css: str) -> tuple[_Rule, ...]:
    """The rules of ``css``, parsed once per process: the template's stylesheets are the same on every page."""
    import tinycss2

    return _rules(tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True))


def _matching(rules: tuple[_Rule, ...], classes: set[str]) -> list[_Rule]:
    """The rules that may match an element with ``classes`` (grouping rules keep only such rules inside)."""
    kept = []
    for rule in rules:
        if rule.inner is not None:
            inner = tuple(_matching(rule.inner, classes))
            if inner:
                kept.append(_Rule(head=rule.head, inner=inner))
        elif rule.needs is None or any(needed <= classes for needed in rule.needs):
            kept.append(rule)
    return kept


def _declarations(rules) -> list[_Declaration]:
    return [d for rule in rules for d in (_declarations(rule.inner) if rule.inner is not None else rule.declarations)]


def _read_properties(sheets: list[list[_Rule]]) -> set[str]:
    """The custom properties the kept rules read, directly or through other custom properties."""
    declarations = [d for rules in sheets for d in _declarations(rules)]
    read = {name for d in declarations if not d.sets for name in d.reads}
    read |= {name for rules in sheets for rule in rules if rule.text for name in _VAR.findall(rule.text)}
    sets: dict[str, set[str]] = {}
    for d in declarations:
        if d.sets:
            sets.setdefault(d.sets, set()).update(d.reads)
    todo = list(read)
    while todo:
        for name in sets.get(todo.pop(), ()):
            if name not in read:
                read.add(name)
                todo.append(name)
    return read


def _css_text(rules: list[_Rule] | tuple[_Rule, ...], read: set[str]) -> str:
    out = []
    for rule in rules:
        if rule.inner is not None:
            inner = _css_text(rule.inner, read)
            if inner:
                out.append(f"{rule.head}{{\n{inner}\n}}")
        elif rule.text:
            out.append(rule.text)
        else:
            body = "; ".join(d.text for d in rule.declarations if not d.sets or d.sets in read)
            if body:
                out.append(f"{rule.head} {{ {body} }}")
    return "\n".join(out)


def _without_unused_css(page: str) -> str:
    """``page`` with the CSS it cannot use left out (see above); the rest in the same order."""
    outside = _STYLE.sub("", page)
    classes = {name for found in _CLASS_ATTRIBUTE.findall(outside) for name in html.unescape("".join(found)).split()}
    blocks = list(_STYLE.finditer(page))
    sheets = [_matching(_stylesheet(found.group(2)), classes) for found in blocks]
    # a property may be set in one <style> and read in another: read across all of them
    read = _read_properties(sheets) | set(_VAR.findall(outside))
    texts = iter([_css_text(rules, read) for rules in sheets])
    return _STYLE.sub(lambda found: f"{found.group(1)}\n{next(texts)}\n{found.group(3)}", page)


# --------------------------------------------------------------------------------------
# PDF export
# --------------------------------------------------------------------------------------


def check_pdf_engine(lang: str = "fr"):
    """Return the ``weasyprint`` module, or raise :class:`RunError` saying what to install.

    WeasyPrint is a Python package (``pip install weasyprint``) that loads Pango, a system
    library, when imported: a missing Pango is an ``OSError``, which becomes a message
    naming the Debian packages to install. Called before any notebook runs, so that the
    user does not wait for a report to learn that its PDF cannot be written.
    """
    check_lang(lang)
    try:
        # WeasyPrint prints its own English help to stdout when a library is missing
        with contextlib.redirect_stdout(io.StringIO()):
            import weasyprint
    except ImportError as err:
        raise RunError(t("report.pdf_no_weasyprint", lang)) from err
    except OSError as err:
        raise RunError(t("report.pdf_no_pango", lang, packages=PDF_SYSTEM_PACKAGES,
                         error=str(err).splitlines()[0] if str(err) else type(err).__name__)) from err
    svg_text.install(weasyprint)
    return weasyprint


def export_pdf(html_path: str | os.PathLike, pdf_path: str | os.PathLike, *, lang: str = "fr") -> Path:
    """Print the HTML report ``html_path`` (written by :func:`export_html`) to the PDF ``pdf_path``.

    A4 pages laid out by the report template's print styles: the title page, the table of
    contents with page numbers, one step per page onwards, tables and figures never cut
    across pages, page numbers in the footer, headings as bookmarks (level 2, 3 and 4
    headings nested as in the report). The figures are the page's own (SVG drawn as
    vectors, text kept as text); fonts are embedded. Written through
    :func:`collective_impact.files.write_bytes`: a failure leaves the previous PDF, or none.

    Raises
    ------
    RunError
        WeasyPrint or the system library it needs is missing (message saying what to install).
    OutputError
        The PDF cannot be written (full disk, no permission).
    """
    weasyprint = check_pdf_engine(lang)
    source = Path(html_path)
    with _collector_paused():
        document = weasyprint.HTML(filename=str(source), base_url=str(source.parent), media_type="print")
        pdf = document.write_pdf()
        del document
    write_bytes(pdf_path, pdf, lang=lang)
    return Path(pdf_path)


_PAUSES = threading.Lock()
_paused = 0  # exports under way in this process's threads
_collector_was_enabled = True


@contextlib.contextmanager
def _collector_paused():
    """Pause Python's cyclic garbage collector while WeasyPrint lays out and writes a PDF.

    WeasyPrint allocates millions of small objects that live until the PDF is written (boxes,
    styles, text layouts); every 700 of them starts a collection, and the older generations'
    collections then walk the whole heap of the process (nbconvert, pandas, matplotlib and
    the document itself) again and again: about a tenth of a PDF's time (2.80 against 2.57 s,
    best of four taken in turn on the demo report of QPV-CANAL, the final young collection
    counted). Memory is not held longer: the document's objects are freed by reference
    counting as soon as the PDF is written, and the youngest generation is collected when the
    pause ends. Exports in several threads (the guided evaluation's report runs in one)
    share the pause: the collector comes back when the last of them ends, even on an error,
    and stays off if it was off before the first.
    """
    global _paused, _collector_was_enabled
    with _PAUSES:
        if _paused == 0:
            _collector_was_enabled = gc.isenabled()
            gc.disable()
        _paused += 1
    try:
        yield
    finally:
        with _PAUSES:
            _paused -= 1
            if _paused == 0 and _collector_was_enabled:
                gc.enable()
                gc.collect(0)
