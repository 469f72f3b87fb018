"""Tests of collective_impact.report.export: the HTML export of a synthetic notebook (no kernel)."""

from __future__ import annotations

import base64
import html
import re

from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from collective_impact.report.export import export_html, toc_entries

# a 1×1 transparent PNG
PNG = base64.b64encode(bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63000100000500010d0a2db40000000049454e44ae426082")).decode()


def visible_text(page: str) -> str:
    """What a reader sees: the page without styles and tags, entities decoded."""
    page = re.sub(r"<style.*?</style>", " ", page, flags=re.DOTALL)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


# --------------------------------------------------------------------------------------
# HTML export of a synthetic notebook (no kernel)
# --------------------------------------------------------------------------------------


def _synthetic_notebook():
    title_output = new_output("display_data", data={"text/markdown": "# Rapport — <b>Nord</b>\n\nLe 1er octobre"})
    section = new_output("display_data", data={"text/markdown": "## Première partie\n\n### Détail"})
    image = new_output("display_data", data={"image/png": PNG, "text/plain": "<Figure>"})
    warning = new_output("stream", name="stderr", text="FutureWarning: pandas says something\n")
    table = new_output("execute_result", data={"text/html": "<table><tr><td>42</td></tr></table>",
                                               "text/plain": "42"}, execution_count=3)
    cells = [
        new_code_cell("territory_id = 'X'", metadata={"tags": ["parameters"]}),
        new_code_cell("show_title_marker_function()", outputs=[title_output], execution_count=1),
        new_code_cell("plot_marker_function(data)", outputs=[section, image, warning], execution_count=2),
        new_code_cell("table_marker_function()", outputs=[table], execution_count=3),
        new_code_cell("removed_marker()", metadata={"tags": ["remove_cell"]},
                      outputs=[new_output("stream", name="stdout", text="REMOVED OUTPUT\n")]),
        new_markdown_cell("## Seconde partie\n\nTexte *en français*."),
        new_markdown_cell("English only paragraph", metadata={"tags": ["lang-en"]}),
    ]
    return new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "language": "python",
                                                              "display_name": "Python 3"}})


def test_export_html_hides_code_and_keeps_text_tables_figures(tmp_path):
    nb = _synthetic_notebook()
    path = export_html(nb, tmp_path / "r.html", title="Évaluation — <b>Nord</b>", lang="fr")
    page = path.read_text(encoding="utf-8")
    for marker in ("show_title_marker_function", "plot_marker_function", "table_marker_function", "territory_id"):
        assert marker not in page
    assert "In [" not in visible_text(page) and "Out[" not in visible_text(page)
    assert "<script" not in page.lower()
    assert "data:image/png;base64," + PNG in page
    assert 'alt="Graphique' in page and "No description has been provided" not in page
    assert "<td>42</td>" in page
    assert "FutureWarning" not in page  # library warnings are not for the reader
    assert "REMOVED OUTPUT" not in page
    assert "English only" not in page
    assert "<title>Évaluation — &lt;b&gt;Nord&lt;/b&gt;</title>" in page
    assert 'lang="fr"' in page
    assert "Seconde partie" in visible_text(page)


def test_export_html_table_of_contents_links_to_the_headings(tmp_path):
    nb = _synthetic_notebook()
    page = export_html(nb, tmp_path / "r.html", title="T", lang="fr").read_text(encoding="utf-8")
    nav = re.search(r'<nav [^>]*class="ci-toc".*?</nav>', page, flags=re.DOTALL)
    assert nav is not None
    assert "Sommaire" in nav.group(0)
    targets = re.findall(r'href="#([^"]+)"', nav.group(0))
    labels = [html.unescape(re.sub(r"<[^>]+>", "", x)) for x in re.findall(r"<a [^>]*>(.*?)</a>", nav.group(0))]
    assert labels == ["Première partie", "Détail", "Seconde partie"]
    for target in targets:
        assert f'id="{target}"' in page
    # right after the title, not before it
    assert page.index("Rapport") < nav.start()


def test_toc_entries_ignore_code_fences_and_level_one():
    nb = new_notebook(cells=[new_markdown_cell("# Titre\n\n## Un\n\n```\n## pas un titre\n```\n\n### Deux")])
    assert [(e["level"], e["html"]) for e in toc_entries(nb)] == [(2, "Un"), (3, "Deux")]


def test_export_html_in_english(tmp_path):
    page = export_html(_synthetic_notebook(), tmp_path / "r.html", title="T", lang="en").read_text(encoding="utf-8")
    assert 'lang="en"' in page and "Contents" in page and "Sommaire" not in page
    assert "English only paragraph" in page


# --------------------------------------------------------------------------------------
# the report command's checks (no kernel)


# --------------------------------------------------------------------------------------
# CSS the page does not use
# --------------------------------------------------------------------------------------


def test_the_css_keeps_what_the_page_can_use_and_leaves_out_the_rest():
    from collective_impact.report.export import _without_unused_css

    css = """
:root { --used: red; --chained: var(--used); --unused: url(data:image/svg+xml;base64,AAAA); }
.here { color: var(--chained); }
.absent { color: blue; }
.absent, p.here.too { margin: 1px; }
.here .absent-child { padding: 2px; }
li:not(.absent) { list-style: none; }
@media print { .absent { color: green; } .here { border: 0; } }
@media screen { .absent-too { color: green; } }
@font-face { font-family: X; src: local(X); }
b.quoted { color: black; }
i.bare { color: black; }
"""
    page = (f'<html><head><style>{css}</style></head><body><p class="here too">x</p><ul><li>y</li></ul>'
            "<b class='quoted'>z</b><i CLASS=bare>w</i></body></html>")
    kept = re.search(r"<style>(.*)</style>", _without_unused_css(page), flags=re.DOTALL).group(1)
    for used in ("--used: red", "--chained: var(--used)", ".here { color: var(--chained)", "p.here.too",
                 "li:not(.absent)", ".here { border: 0", "@font-face", "b.quoted", "i.bare"):
        assert used in kept, used
    for unused in ("--unused", "color: blue", ".absent-child", "@media screen", ".absent { color: green"):
        assert unused not in kept, unused
    # the body is untouched
    assert _without_unused_css(page).endswith('<body><p class="here too">x</p><ul><li>y</li></ul>'
                                              "<b class='quoted'>z</b><i CLASS=bare>w</i></body></html>")


def test_the_exported_page_carries_no_unused_jupyterlab_css(tmp_path):
    page = export_html(_synthetic_notebook(), tmp_path / "r.html", title="T", lang="fr").read_text(encoding="utf-8")
    styles = "".join(re.findall(r"<style[^>]*>(.*?)</style>", page, flags=re.DOTALL))
    assert len(styles) < 60_000  # JupyterLab's own stylesheet alone is 240 kB
    assert ".jp-RenderedHTMLCommon" in styles and "--jp-content-font-color1" in styles  # what the page uses stays
    assert ".jp-Dialog" not in styles and "--jp-icon-caret-down" not in styles  # editor chrome and icons go
