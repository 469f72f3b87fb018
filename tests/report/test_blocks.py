"""Tests of collective_impact.report.blocks: how blocks and steps display, in a notebook and in a widget."""

from __future__ import annotations

import base64

import pytest

from collective_impact.report.blocks import Block, render_step, show_in
from collective_impact.report.bundle import open_territory
from collective_impact.report.steps import build_step


def test_blocks_display_as_markdown_html_and_png_with_alt_text(demo_store):
    step = build_step(open_territory(demo_store, "QPV-GARE"), "territoire")
    text = next(b for b in step.blocks if b.kind == "text")
    data, _ = text._repr_mimebundle_()
    assert data["text/markdown"] == text.content
    table = step.block("partners")
    data, _ = table._repr_mimebundle_()
    assert data["text/html"].startswith('<table class="ci-table">')
    figure = build_step(open_territory(demo_store, "QPV-GARE"), "synthese").block("radar")
    data, metadata = figure._repr_mimebundle_()
    png = base64.b64decode(data["image/png"])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert metadata["image/png"]["alt"] == figure.alt and "Radar" in figure.alt
    assert 600 < metadata["image/png"]["width"] < 1400


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
    figures = [o for o in shown if "image/png" in o.get("data", {})]
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
