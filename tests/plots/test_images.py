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


def test_styles_become_attributes_of_the_same_values_and_the_text_from_data_stays_as_typed(monkeypatch):
    # the rewrites that change which elements draw (uses as paths, clips that cut nothing, blanks between tags) are
    # checked by the tests below: here every element of matplotlib's SVG is compared with its counterpart
    for rewrite in ("_uses_as_paths", "_without_idle_clips", "_without_blanks_between_tags"):
        monkeypatch.setattr(images, rewrite, lambda data: data)
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


def _raw_svg(fig) -> bytes:
    """matplotlib's own SVG of ``fig`` and its crop."""
    raw = io.BytesIO()
    with plt.rc_context({"svg.fonttype": "none", "svg.hashsalt": "collective-impact"}):
        images._save(fig, raw, format="svg", metadata={"Date": None})
    return raw.getvalue()


def _marked_figure():
    """Ticks, a line with round markers, square points, a hatched bar and a grid: uses of markers, and clips."""
    fig = _figure()
    ax = fig.axes[0]
    ax.plot([0.1, 0.5, 0.9], [1, 3, 2], marker="o")
    ax.scatter([0.3, 0.7], [1.5, 2.5], s=60, marker="s")
    ax.bar([0.2], [2], width=0.1, hatch="//", alpha=0.5)
    ax.pcolormesh([0.82, 0.88, 0.95], [0.5, 1.5, 2.5], [[1, 2], [3, 4]], cmap="Blues")  # cells side by side
    ax.grid(True)
    # a band to the right edge, with no spine drawn over it: a mark touching its clip's edge
    ax.set_xlim(-0.1, 1)
    ax.axvspan(0.9, 1, facecolor="#009e73", edgecolor="none", alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def _truncated(value: str) -> float:
    return float(re.sub(r"(\d\.\d\d)\d+", r"\1", value))


def _drawn_paths(root, parent_of) -> list:
    """The paths of an SVG that are drawn where they are written: not those defined for later use, clip or
    pattern."""
    def defined(element):
        while element is not None:
            if element.tag in (f"{_SVG}defs", f"{_SVG}clipPath", f"{_SVG}pattern"):
                return True
            element = parent_of.get(element)
        return False

    return [e for e in root.iter() if e.tag in (f"{_SVG}path", f"{_SVG}use") and not defined(e)]


def test_each_use_of_a_marker_becomes_the_markers_path_at_the_same_place_with_the_same_paint():
    fig = _marked_figure()
    ours, theirs = ElementTree.fromstring(images.svg(fig)), ElementTree.fromstring(_raw_svg(fig))
    markers = {e.get("id"): e for e in theirs.iter(f"{_SVG}path") if e.get("id")}
    expected, used = [], 0
    for element in _drawn_paths(theirs, {c: p for p in theirs.iter() for c in p}):
        if element.tag == f"{_SVG}use":
            used += 1
            marker = markers[element.get("{http://www.w3.org/1999/xlink}href")[1:]]
            dx, dy = _truncated(element.get("x")), _truncated(element.get("y"))
            numbers = [_truncated(n) for n in re.findall(r"-?[\d.]+", marker.get("d"))]
            points = [(round(x + dx, 2), round(y + dy, 2)) for x, y in zip(numbers[::2], numbers[1::2], strict=True)]
            # the marker's own paint over the use's, which it inherits
            paint = {**_declarations(element.get("style", "")), **_declarations(marker.get("style", ""))}
        else:
            numbers = [_truncated(n) for n in re.findall(r"-?[\d.]+", element.get("d"))]
            points = [(round(x, 2), round(y, 2)) for x, y in zip(numbers[::2], numbers[1::2], strict=True)]
            paint = _declarations(element.get("style", ""))
        expected.append((points, {k: _hundredths(v) for k, v in paint.items()}))
    assert used > 10  # ticks and points
    drawn = _drawn_paths(ours, {c: p for p in ours.iter() for c in p})
    assert [e.tag for e in drawn] == [f"{_SVG}path"] * len(expected)  # no use left, nothing added or lost
    got = []
    for element, (_, paint) in zip(drawn, expected, strict=True):
        numbers = [float(n) for n in re.findall(r"-?[\d.]+", element.get("d"))]
        got.append(([(round(x, 2), round(y, 2)) for x, y in zip(numbers[::2], numbers[1::2], strict=True)],
                    {name: element.get(name) for name in paint}))
    assert got == expected
    assert [e for e in ours.iter(f"{_SVG}path") if e.get("id")] == []  # the markers, no longer used, are gone


def test_a_clip_that_cuts_nothing_is_left_out_and_one_that_may_cut_or_touches_an_edge_is_kept():
    clip = b'<defs><clipPath id="c"><rect x="10" y="10" width="100" height="50"/></clipPath></defs>'
    kept = [
        b'<path d="M 10 20 L 110 20" clip-path="url(#c)" stroke="#000" stroke-width="0.7"/>',  # on the edge
        b'<path d="M 10 10 L 110 60" clip-path="url(#c)" fill="#fff" stroke="none"/>',  # a fill touching the edges
        b'<path d="M 50 30 L 109.8 30" clip-path="url(#c)" stroke="#000" stroke-linecap="square"/>',  # its end cut
        b'<path d="M 10 30 L 110 30" clip-path="url(#c)" stroke="#000" stroke-linecap="square" '
        b'stroke-dasharray="3,1"/>',  # a grid line from edge to edge
        b'<path d="M 30 30 L 50 40" clip-path="url(#c)" stroke="#000" stroke-miterlimit="10"/>',  # mitres reach farther
        b'<path d="M 50 30 L 60 30" clip-path="url(#c)" transform="scale(3)" stroke="#000"/>',  # moved elsewhere
        b'<path d="M 50 30 L 60 30" clip-path="url(#other)" stroke="#000"/>',  # not a rectangle known here
        # a slanted line 2 from the edge, stroke 1: a corner may reach 2
        b'<path d="M 12 30 L 108 35 L 50 40" clip-path="url(#c)" stroke="#000" stroke-linejoin="miter"/>',
        b'<g clip-path="url(#c)"><path d="M 50 30 L 60 30" stroke="#000"/><text x="50" y="30">t</text></g>',
        b'<g clip-path="url(#c)"><path d="M 50 30 L 60 30" stroke="#000"/><path d="M 9 30 L 60 30"/></g>',
    ]
    idle = [
        b'<path d="M 20 20 L 100 20 L 100 50 z" clip-path="url(#c)" stroke="#000" stroke-width="2"/>',
        b'<path d="M 11 11 L 109 59" clip-path="url(#c)" fill="#fff" stroke="none"/>',  # a fill a point from the edges
        b'<path d="M 50 30 C 60 20 70 20 80 30" clip-path="url(#c)" stroke="#000"/>',
        # horizontal and vertical lines reach half their width beyond a corner
        b'<path d="M 12 30 L 108 30 L 108 35 L 12 35 z" clip-path="url(#c)" stroke="#000" stroke-linejoin="miter"/>',
        b'<g clip-path="url(#c)"><path d="M 50 30 L 60 30" stroke="#000"/> <path d="M 70 40 L 80 40"/></g>',
    ]
    data = b"<svg>" + clip + b"".join(kept) + b"".join(idle) + b"</svg>"
    assert images._without_idle_clips(data) == (
        b"<svg>" + clip + b"".join(kept) + b"".join(tag.replace(b' clip-path="url(#c)"', b"") for tag in idle)
        + b"</svg>")
    # a stroke passed on by a group: the marks' own attributes no longer say what they paint
    inherited = data.replace(b"<svg>", b'<svg><g stroke-width="30">').replace(b"</svg>", b"</g></svg>")
    assert images._without_idle_clips(inherited) == inherited


def test_blanks_between_tags_go_and_a_texts_own_spaces_stay():
    data = (b'<svg>\n <g>\n  <path d="M 0 0 \nL 1 1"/>\n  <text x="1">  deux  espaces </text>\n'
            b'  <text><tspan>a</tspan> <tspan>b</tspan></text>\n </g>\n</svg>\n')
    assert images._without_blanks_between_tags(data) == (
        b'<svg><g><path d="M 0 0 \nL 1 1"/><text x="1">  deux  espaces </text>'
        b'<text><tspan>a</tspan> <tspan>b</tspan></text></g></svg>')


_REWRITES = ("_uses_as_paths", "_without_idle_clips", "_without_blanks_between_tags")


def _printer(tmp_path, dpi: int):
    """A function that prints an SVG with WeasyPrint, the report's PDF engine, and reads it back as pixels."""
    import base64
    import shutil
    import subprocess

    from weasyprint import HTML

    pdftoppm = shutil.which("pdftoppm")
    assert pdftoppm, "pdftoppm manque : apt-get install poppler-utils"

    def printed(svg: bytes, name: str) -> np.ndarray:
        page = f'<img style="width: 17cm" src="data:image/svg+xml;base64,{base64.b64encode(svg).decode()}">'
        HTML(string=page).write_pdf(tmp_path / f"{name}.pdf")
        subprocess.run([pdftoppm, "-r", str(dpi), "-png", "-singlefile", tmp_path / f"{name}.pdf", tmp_path / name],
                       check=True)
        return np.asarray(Image.open(tmp_path / f"{name}.png").convert("RGB"))

    return printed


def _both_ways(figures, monkeypatch) -> list[tuple[bytes, bytes]]:
    """Each figure's SVG with the rewrites that change which elements draw, and without them."""
    rewritten = [images.svg(fig) for fig in figures]
    with monkeypatch.context() as patched:
        for rewrite in _REWRITES:
            patched.setattr(images, rewrite, lambda data: data)
        as_before = [images.svg(fig) for fig in figures]
    return list(zip(rewritten, as_before, strict=True))


def test_the_rewrites_of_uses_clips_and_blanks_leave_the_printed_picture_as_it_was(monkeypatch, tmp_path):
    """A figure of many kinds of marks, printed and read back at 200 dpi: the same pixels with and without the
    rewrites that change which elements draw."""
    printed = _printer(tmp_path, 200)
    [(rewritten, as_before)] = _both_ways([_marked_figure()], monkeypatch)
    assert as_before.count(b"<use ") > 10 and rewritten.count(b"<use ") == 0
    assert 0 < rewritten.count(b"clip-path=") < as_before.count(b"clip-path=")
    after, before = printed(rewritten, "after"), printed(as_before, "before")
    assert (before < 250).sum() > 10_000  # something is drawn
    assert np.array_equal(after, before)


def test_every_figure_of_a_demo_report_prints_the_same_pixels_with_and_without_the_rewrites(demo_store, monkeypatch,
                                                                                          tmp_path):
    """The same at 120 dpi for each figure of QPV-CANAL's report: bands, heat maps and markers that reach their
    axes' edges, where a clip left out too eagerly changes how an edge is smoothed."""
    from collective_impact.report.bundle import open_territory
    from collective_impact.report.steps import build_steps

    steps = build_steps(open_territory(demo_store, "QPV-CANAL", lang="fr"))
    figures = [block.make() for step in steps.values() for block in step.blocks if block.kind == "figure"]
    assert len(figures) >= 10
    printed = _printer(tmp_path, 120)
    left_out = 0
    for number, (rewritten, as_before) in enumerate(_both_ways(figures, monkeypatch)):
        left_out += as_before.count(b"clip-path=") - rewritten.count(b"clip-path=")
        same = np.array_equal(printed(rewritten, f"after{number}"), printed(as_before, f"before{number}"))
        assert same, f"figure {number} of the report prints differently"
    assert left_out > 100


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
