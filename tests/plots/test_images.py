"""Tests of collective_impact.plots.images: a figure laid out and cropped once, saved as SVG and PNG."""

from __future__ import annotations

import io
import re
from xml.etree import ElementTree

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pytest
from PIL import Image

from collective_impact.plots import images


def _figure(title: str = "Taux de réponse 12.345678 %"):
    """A constrained-layout figure whose legend, below the axes, is wider than the figure itself."""
    fig = plt.figure(figsize=(6, 3), dpi=100, layout="constrained")
    plt.close(fig)
    ax = fig.add_subplot()
    for i in range(4):
        ax.plot([0, 1], [i, i + 1], label=f"Une série au libellé assez long numéro {i}")
    fig.suptitle(title)
    fig.legend(loc="outside lower center", ncol=4)
    return fig


def _svg_size(svg: bytes) -> tuple[float, float]:
    width, height = re.search(rb'<svg[^>]*width="([0-9.]+)pt" height="([0-9.]+)pt"', svg).groups()
    return float(width), float(height)


def test_the_svg_has_the_crop_of_a_tight_save_and_keeps_the_text_from_data_as_it_is():
    svg = images.svg(_figure())
    tight = io.BytesIO()
    _figure().savefig(tight, format="svg", bbox_inches="tight", pad_inches=images.PAD_INCHES)
    # the legend sticks out of the 6-inch figure: the crop takes it in, as a tight save does
    assert _svg_size(svg)[0] > 6 * 72
    for ours, theirs in zip(_svg_size(svg), _svg_size(tight.getvalue()), strict=True):
        assert abs(ours - theirs) < 1  # points
    assert ">Taux de réponse 12.345678 %</text>" in svg.decode("utf-8")  # the text between tags is untouched
    tags = re.findall(rb"<[^<>]+>", svg)
    assert not [tag for tag in tags if re.search(rb"\d\.\d{3}", tag)]  # coordinates to the hundredth
    assert any(re.search(rb"\d\.\d\d", tag) for tag in tags)


def test_the_png_shows_the_same_crop_and_the_layout_engine_is_put_back():
    fig = _figure()
    engine = fig.get_layout_engine()
    width_pt, height_pt = _svg_size(images.svg(fig))
    png = Image.open(io.BytesIO(images.png(fig, dpi=150)))
    assert abs(png.width - width_pt * 150 / 72) <= 2 and abs(png.height - height_pt * 150 / 72) <= 2
    assert png.mode == "P"  # a palette
    assert fig.get_layout_engine() is engine
    # the crop was measured once and kept: saving again gives the same bytes
    assert images.svg(fig) == images.svg(fig)


_SVG = "{http://www.w3.org/2000/svg}"


def _declarations(style: str) -> dict[str, str]:
    return {name.strip(): value.strip() for name, value in
            (item.split(":", 1) for item in style.split(";") if item.strip())}


def _hundredths(value: str) -> str:
    return re.sub(r"(\d\.\d\d)\d+", r"\1", value)


def _plain_group(element) -> bool:
    return element.tag == f"{_SVG}g" and set(element.attrib) <= {"id"}


def _marks(root) -> list:
    """The elements of an SVG that draw something or pass something on: no metadata, no style sheet, no empty
    definitions, no group without attributes but its id."""
    skipped = {id(e) for m in root.iter(f"{_SVG}metadata") for e in m.iter()}
    return [e for e in root.iter() if id(e) not in skipped and e.tag != f"{_SVG}style" and not _plain_group(e)
            and not (e.tag == f"{_SVG}defs" and not [c for c in e if c.tag != f"{_SVG}style"])]


def _inherited(root) -> dict:
    """For each element (by id()), the tags of its ancestors that are not plain groups, root first."""
    chains = {}

    def walk(element, chain):
        chains[id(element)] = chain
        below = chain if _plain_group(element) else [*chain, element.tag]
        for child in element:
            walk(child, below)

    walk(root, [])
    return chains


def test_a_group_something_points_at_is_kept_and_text_that_looks_like_a_group_is_left_alone():
    data = (b'<svg><g id="a"><g id="b"><path d="M 0 0"/></g><g clip-path="url(#c)"><g id="x"><text>&lt;g&gt;'
            b'</text></g></g></g><g id="e"/><g id="k"><path/></g><use xlink:href="#k"/></svg>')
    assert images._without_plain_groups(data) == (
        b'<svg><g id="a"><path d="M 0 0"/><g clip-path="url(#c)"><text>&lt;g&gt;</text></g></g>'
        b'<g id="k"><path/></g><use xlink:href="#k"/></svg>')


def test_styles_become_attributes_of_the_same_values_and_the_text_from_data_stays_as_typed():
    hostile = 'x style="fill: red" <b>gras</b> & font-size: 90px'
    fig = _figure(title=hostile)
    fig.axes[0].bar([0.2], [2], hatch="//", alpha=0.5)  # a hatch and an opacity: more kinds of marks
    fig.axes[0].set_ylabel("Nombre de réponses")  # a text turned a quarter, among horizontal ones
    ours = ElementTree.fromstring(images.svg(fig))
    raw = io.BytesIO()  # matplotlib's own SVG of the same figure and crop
    with plt.rc_context({"svg.fonttype": "none", "svg.hashsalt": "collective-impact"}):
        images._save(fig, raw, format="svg", metadata={"Date": None})
    theirs = ElementTree.fromstring(raw.getvalue())
    assert theirs.find(f"{_SVG}metadata") is not None and ours.find(f"{_SVG}metadata") is None
    assert [e for e in ours.iter() if e.tag == f"{_SVG}style" or "style" in e.attrib] == []
    # matplotlib's one style rule (joins and caps of every mark) is now inherited from the root
    assert ours.get("stroke-linejoin") == "round" and ours.get("stroke-linecap") == "butt"
    ours_marks, theirs_marks = _marks(ours), _marks(theirs)
    assert [e.tag for e in ours_marks] == [e.tag for e in theirs_marks]
    # the groups that only name their content are gone; every mark is under the same styled or clipped groups
    theirs_plain = [e for e in theirs.iter() if _plain_group(e)]
    assert len(theirs_plain) > 20 and [e for e in ours.iter() if _plain_group(e)] == []
    our_chains, their_chains = _inherited(ours), _inherited(theirs)
    assert [our_chains[id(e)] for e in ours_marks] == [their_chains[id(e)] for e in theirs_marks]
    assert sum(len(our_chains[id(e)]) > 1 for e in ours_marks) > 5  # marks inside clipped or styled groups
    styled, unturned, turned = 0, 0, []
    for mine, original in zip(ours_marks[1:], theirs_marks[1:], strict=True):
        declared = _declarations(original.get("style", ""))
        styled += bool(declared)
        assert {name: mine.get(name) for name in declared} == {k: _hundredths(v) for k, v in declared.items()}
        others = {k: _hundredths(v) for k, v in original.attrib.items() if k != "style"}
        # a rotation by zero degrees (on each horizontal text) is left out, any other transform kept
        if re.fullmatch(r"rotate\(-?0 \S+ \S+\)", others.get("transform", "")):
            unturned += 1
            del others["transform"]
        elif "transform" in others and mine.tag == f"{_SVG}text":
            turned.append((mine.text, others["transform"]))
        assert {k: v for k, v in mine.attrib.items() if k not in declared} == others
        assert mine.text == original.text  # text from data, as typed
    assert styled > 20 and unturned > 10
    assert [(text, transform.split()[0]) for text, transform in turned] == [("Nombre de réponses", "rotate(-90")]
    assert [e.text for e in ours.iter(f"{_SVG}text") if e.text == hostile] == [hostile]


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_crop_is_the_one_a_drawing_pass_gives_for_every_figure_of_a_report(demo_store, lang):
    """:func:`images.crop` runs the layout engine and measures, without drawing first: for each figure of a demo
    report (constrained layouts, legends outside the axes, a polar chart and a diagram placed by hand), the
    bounds are those measured after a whole drawing pass, as matplotlib's own tight save does."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from collective_impact.report.bundle import open_territory
    from collective_impact.report.steps import build_steps

    steps = build_steps(open_territory(demo_store, "QPV-NORD", lang=lang))
    figures = [block for step in steps.values() for block in step.blocks if block.kind == "figure"]
    assert len(figures) >= 10
    for block in figures:
        ours = images.crop(block.make())
        drawn = block.make()
        if not isinstance(drawn.canvas, FigureCanvasAgg):
            FigureCanvasAgg(drawn)
        with mpl.rc_context({"text.hinting": "none"}):
            drawn.draw_without_rendering()
            theirs = drawn.get_tightbbox(drawn.canvas.get_renderer()).padded(images.PAD_INCHES)
        assert np.allclose(ours.get_points(), theirs.get_points(), atol=1e-6), block.name
