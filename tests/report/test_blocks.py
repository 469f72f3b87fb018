"""Tests of collective_impact.report.blocks: how blocks and steps display, in a notebook and in a widget."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

from collective_impact.report.blocks import SVG_BUDGET, Block, render_step, show_in
from collective_impact.report.bundle import open_territory
from collective_impact.report.steps import build_step


def test_blocks_display_as_markdown_html_and_an_image_with_alt_text(demo_store):
    step = build_step(open_territory(demo_store, "QPV-GARE"), "territoire")
    text = next(b for b in step.blocks if b.kind == "text")
    data, _ = text._repr_mimebundle_()
    assert data["text/markdown"] == text.content
    table = step.block("partners")
    data, _ = table._repr_mimebundle_()
    assert data["text/html"].startswith('<table class="ci-table">')
    figure = build_step(open_territory(demo_store, "QPV-GARE"), "synthese").block("radar")
    data, metadata = figure._repr_mimebundle_()
    (mime,) = [key for key in data if key.startswith("image/")]
    if mime == "image/png":
        assert base64.b64decode(data[mime])[:8] == b"\x89PNG\r\n\x1a\n"
    else:
        assert mime == "image/svg+xml" and "<svg" in data[mime]
    assert metadata[mime]["alt"] == figure.alt and "Radar" in figure.alt
    assert 600 < metadata[mime]["width"] < 1400


def _figure(points: int = 0):
    """A figure of the plots' width with a French label, and ``points`` random points."""
    import numpy as np
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9.5, 4), dpi=100)
    ax = fig.add_subplot()
    ax.bar(["a", "b", "c"], [1, 3, 2])
    ax.set_title("Répartition des réponses")
    if points:
        rng = np.random.default_rng(0)
        ax.scatter(rng.random(points) * 2, rng.random(points) * 3, s=2)
    return fig


def test_a_figure_of_few_marks_is_an_svg_with_its_text_as_text():
    block = Block("figure", "bars", alt="Barres", make=_figure)
    mime, data = block.image()
    assert mime == "image/svg+xml"
    svg = data.decode("utf-8")
    assert ">Répartition des réponses</text>" in svg  # text, not paths: selectable and sharp
    assert "font-family=\"'DejaVu Sans', 'Bitstream Vera Sans', Verdana, sans-serif" in svg  # fonts a viewer may have
    assert "<dc:date>" not in svg  # the same bytes at every run
    data_, metadata = block._repr_mimebundle_()
    # shown at the plots' 100-dpi layout: as wide as the same crop drawn at 100 dpi
    layout = io.BytesIO()
    _figure().savefig(layout, format="png", dpi=100, bbox_inches="tight", pad_inches=0.12)
    assert abs(metadata["image/svg+xml"]["width"] - Image.open(layout).width) <= 2
    assert data_["image/svg+xml"] == svg


def test_a_figure_of_many_marks_is_a_palette_png_when_smaller_than_its_svg():
    block = Block("figure", "cloud", alt="Nuage", make=lambda: _figure(points=20_000))
    mime, data = block.image()
    plain_svg = io.BytesIO()
    _figure(points=20_000).savefig(plain_svg, format="svg")
    assert len(plain_svg.getvalue()) > SVG_BUDGET
    assert mime == "image/png" and len(data) < len(plain_svg.getvalue())
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[25] == 3  # colour type 3: a palette


def test_a_figure_s_image_can_be_read_without_drawing_and_taken_from_another_block():
    drawn = []

    def make():
        drawn.append(1)
        return _figure()

    block = Block("figure", "bars", alt="Barres", make=make)
    assert block.cached_image() is None and drawn == []  # asking draws nothing
    given = ("image/svg+xml", b'<svg xmlns="http://www.w3.org/2000/svg" width="10pt">given</svg>')
    assert block.reuse_image(given) is True
    assert block.image() == given and block.cached_image() == given and drawn == []  # shown as given, never drawn
    # an image already there stays: what was shown is not replaced
    assert block.reuse_image(("image/png", b"other")) is False
    assert block.image() == given
    # a block that drew its own keeps it, and gives it to another
    own = Block("figure", "bars", alt="Barres", make=_figure)
    mime, data = own.image()
    assert own.cached_image() == (mime, data) and mime in ("image/svg+xml", "image/png") and data
    other = Block("figure", "bars", alt="Barres", make=make)
    assert other.reuse_image(own.cached_image()) is True and other.image() == (mime, data) and drawn == []
    with pytest.raises(TypeError, match="'intro' is a text, not a figure"):
        Block("text", "intro", content="x").reuse_image(given)


def test_render_step_draws_the_whole_step_into_an_output(demo_store):
    import ipywidgets

    step = build_step(open_territory(demo_store, "QPV-GARE"), "mesure")
    output = ipywidgets.Output()
    output.outputs = ({"output_type": "stream", "name": "stdout", "text": "avant"},)
    render_step(step, output)
    shown = output.outputs
    assert len(shown) == len(step.blocks) + 2  # what was shown before is replaced
    assert step.intro.splitlines()[0] in shown[0]["data"]["text/markdown"]
    assert step.conclusions.splitlines()[0] in shown[-1]["data"]["text/markdown"]
    figures = [o for o in shown if {"image/png", "image/svg+xml"} & set(o.get("data", {}))]
    assert all('<img src="data:image/' in o["data"]["text/html"] for o in figures)  # an <img> keeps the alt text
    assert len(figures) == sum(block.kind == "figure" for block in step.blocks)


def test_a_text_block_has_no_figure_and_a_missing_block_names_those_there_are(demo_store):
    step = build_step(open_territory(demo_store, "QPV-GARE"), "pivot")
    with pytest.raises(TypeError, match="not a figure"):
        step.block("backbone").figure()
    with pytest.raises(KeyError, match="blocks: backbone, "):
        step.block("radar")
    assert Block("text", "x", content="*a*")._repr_mimebundle_()[0]["text/markdown"] == "*a*"


def test_show_in_replaces_what_an_output_showed():
    import ipywidgets as widgets

    output = widgets.Output()
    show_in(output, ["un"])
    show_in(output, ["deux", "trois"])
    assert [item["data"]["text/plain"] for item in output.outputs] == ["'deux'", "'trois'"]
