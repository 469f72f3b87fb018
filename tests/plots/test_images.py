"""Tests of collective_impact.plots.images: a figure laid out and cropped once, saved as SVG and PNG."""

from __future__ import annotations

import io
import re

import matplotlib.pyplot as plt
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
