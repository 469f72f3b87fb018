"""A figure as the bytes of an image: SVG or palette PNG, laid out and cropped once.

The report shows each figure as one image (:meth:`collective_impact.report.blocks.Block.image`
picks the format). Saving with ``bbox_inches="tight"`` goes over the figure's artists three
times on every save (its layout engine's drawing pass, a measure of the content's bounds,
the drawing itself); here the layout and the crop are done once per figure and kept on it,
so that each save, the SVG and then, for a figure of many marks, the PNG, only draws.
"""

from __future__ import annotations

import functools
import re
import threading
from io import BytesIO
from typing import Any

import matplotlib as mpl
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox

__all__ = ["PAD_INCHES", "png", "svg"]

#: Space around the figure's drawn content, in inches.
PAD_INCHES = 0.12
#: A tag of an SVG (the text between tags, which comes from the data, is never changed) and, inside a tag,
#: the digits of a decimal number beyond its hundredth.
_TAG = re.compile(rb"<[^<>]+>")
_DECIMALS = re.compile(rb"(\d\.\d\d)\d+")
#: A tag's ``style`` attribute, and the properties of matplotlib's figures that SVG also takes as attributes.
_STYLE = re.compile(rb'\sstyle="([^"]*)"')
_PRESENTATION = frozenset(
    b"fill fill-opacity fill-rule font-family font-size font-style font-weight opacity stroke stroke-dasharray "
    b"stroke-dashoffset stroke-linecap stroke-linejoin stroke-miterlimit stroke-opacity stroke-width text-anchor".split())
#: matplotlib's one style sheet (every mark's default joins and caps), and the same as inherited attributes.
_SHEET = re.compile(rb'\s*<style type="text/css">\*\{stroke-linejoin: round; stroke-linecap: butt\}</style>')
_ROOT = re.compile(rb"<svg\s")
_EMPTY_DEFS = re.compile(rb"\s*<defs>\s*</defs>")
#: The rotation by zero degrees that matplotlib writes on every horizontal text (``rotate(-0 12.5 30)``).
_NO_ROTATION = re.compile(rb' transform="rotate\(-?0 -?[\d.]+ -?[\d.]+\)"')
#: A group with no attribute but matplotlib's name for it (``id="xtick_3"``) and no group inside, or such a group
#: empty; and what an SVG points at (``href="#id"``, ``url(#id)``).
_PLAIN_GROUP = re.compile(rb'<g(?: id="([^"]*)")?>((?:(?!<g[\s>/]).)*?)</g>|<g(?: id="([^"]*)")?/>', re.DOTALL)
_POINTED_AT = re.compile(rb"#([^\"\s)]+)")
#: An attribute of a tag; a path's commands and numbers; a marker (a path defined once, used by its id); a use of
#: it; the attributes that act on a use as a whole.
_ATTRIBUTE = re.compile(rb'\s([\w:-]+)="([^"]*)"')
_PATH_TOKEN = re.compile(rb"[A-Za-z]|-?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?")
_DEFS = re.compile(rb"<defs>.*?</defs>", re.DOTALL)
_DEF_PATH = re.compile(rb'\s*<path id="([^"]+)"[^>]*/>')
_USE = re.compile(rb"<use\s[^>]*/>")
_ON_THE_WHOLE = frozenset({b"clip-path", b"mask", b"filter", b"opacity", b"transform", b"width", b"height"})
#: A clip made of one rectangle; a path or a group (with no group inside) clipped by one.
_CLIP_RECT = re.compile(rb'<clipPath id="([^"]+)">\s*(<rect\s[^>]*/>)\s*</clipPath>')
_CLIPPED = re.compile(rb'<(path|g)(?=\s)[^>]*?( clip-path="url\(#([^)"]+)\)")[^>]*?(?:/>|>((?:(?!<g[\s>/]).)*?)</g>)',
                      re.DOTALL)
#: A group, or the root, that passes on to what it holds a stroke or how far it reaches (its width, its mitres).
_INHERITED_STROKE = re.compile(rb"<(?:g|svg)(?=\s)[^>]*\sstroke(?:-width|-miterlimit)?=")
#: What makes a path paint farther than its points and stroke say.
_NOT_MEASURED = frozenset({b"transform", b"marker-start", b"marker-mid", b"marker-end", b"stroke-miterlimit"})
#: How far from its clip's edges a mark must stay for its clip to be left out (a point: more than a pixel on a
#: screen at 72 dpi).
_CLEAR = 1.0
#: A text element (left as it is), and the blanks between two tags.
_TEXT_ELEMENT = re.compile(rb"(<text[\s>].*?</text>)", re.DOTALL)
_BLANK_BETWEEN_TAGS = re.compile(rb"(?:^|(?<=>))\s+(?=<|$)")
# set_layout_engine(None) falls back on these rcParams: both off, it removes the engine
_NO_ENGINE = {"figure.autolayout": False, "figure.constrained_layout.use": False}
# matplotlib's rc_context saves every setting when it opens and puts them all back when it
# closes: two threads building or saving figures at once undo each other's settings (a figure
# built with matplotlib's defaults, an SVG with its text as paths). The guided evaluation
# draws the next steps' figures in a thread while its own thread may draw one: every use of
# settings in this package (building a figure, measuring it, saving it) holds this lock.
SETTINGS_LOCK = threading.RLock()


def _holding_settings(func):
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any):
        with SETTINGS_LOCK:
            return func(*args, **kwargs)

    return wrapper


@_holding_settings
def svg(figure: Figure) -> bytes:
    """``figure`` as SVG: text kept as text, no date (the same bytes at every run), coordinates to the hundredth
    of a point (a seventieth of a pixel on screen: the same picture, a sixth lighter), styles as attributes
    (see :func:`_as_attributes`), no group that only names its content (see :func:`_without_plain_groups`),
    no rotation by zero degrees on a text (WeasyPrint reads and applies each as a transform: 2 % of a
    report's PDF, counted in instructions), each use of a marker written as the marker's path (see
    :func:`_uses_as_paths`), no clip that cuts nothing (see :func:`_without_idle_clips`), no blanks between
    tags outside the texts. The picture printed is the same, pixel for pixel (``tests/plots/test_images.py``); on
    screen, Chromium's smoothing of some edges may differ by a few levels of grey (at most 34 of 255, on fewer than
    one pixel in three thousand of the demo's figures)."""
    buffer = BytesIO()
    with mpl.rc_context({"svg.fonttype": "none", "svg.hashsalt": "collective-impact"}):
        # no date, and none of the other entries matplotlib writes by default: no <metadata> at all
        _save(figure, buffer, format="svg", metadata=dict.fromkeys(("Date", "Creator", "Format", "Type")))
    data = _TAG.sub(lambda tag: _as_attributes(_DECIMALS.sub(rb"\1", tag.group(0))), buffer.getvalue())
    data = _NO_ROTATION.sub(b"", data)
    if _SHEET.search(data):
        data = _ROOT.sub(b'<svg stroke-linejoin="round" stroke-linecap="butt" ', _SHEET.sub(b"", data, count=1), count=1)
    data = _without_idle_clips(_uses_as_paths(data))
    return _without_blanks_between_tags(_without_plain_groups(_EMPTY_DEFS.sub(b"", data)))


def _attributes(tag: bytes) -> dict[bytes, bytes]:
    return dict(_ATTRIBUTE.findall(tag))


def _tag(name: bytes, attributes: dict[bytes, bytes]) -> bytes:
    return b"<%s%s/>" % (name, b"".join(b' %s="%s"' % item for item in attributes.items()))


def _hundredths(value: float) -> bytes:
    return (b"%.2f" % value).rstrip(b"0").rstrip(b".")


def _path_points(d: bytes) -> list[tuple[float, float]] | None:
    """The points of a path written as matplotlib writes them (absolute moves, lines and curves, ``z``), control
    points included; ``None`` for any other path."""
    tokens = _PATH_TOKEN.findall(d)
    if any(token.isalpha() and token not in b"MLQCz" for token in tokens):
        return None
    numbers = [float(token) for token in tokens if not token.isalpha()]
    if len(numbers) % 2:
        return None
    return list(zip(numbers[::2], numbers[1::2], strict=True))


def _moved(d: bytes, dx: float, dy: float) -> bytes | None:
    """The path ``d`` moved by (``dx``, ``dy``), written to the hundredth; ``None`` if it is not one of
    matplotlib's (see :func:`_path_points`)."""
    if _path_points(d) is None:
        return None
    out, axis = [], 0
    for token in _PATH_TOKEN.findall(d):
        if token.isalpha():
            out.append(token)
            continue
        out.append(_hundredths(float(token) + (dx if axis == 0 else dy)))
        axis ^= 1
    return b" ".join(out)


def _uses_as_paths(data: bytes) -> bytes:
    """``data`` with each use of a marker (``<use xlink:href="#m…" x="…" y="…"/>``: a tick, a point) written as
    the marker's own path, moved to where the use puts it.

    The picture is the same: a use at (x, y) draws its marker translated by (x, y), with the marker's own
    presentation attributes over those of the use, which it inherits. WeasyPrint draws a use by opening and
    laying out the marker again, each time: writing a report's three hundred and fifty ticks and points as paths
    saves about 5 % of its PDF.
    A use with anything that acts on it as a whole (a clip, an opacity, a transform) is kept, and a marker
    drawn by another kind of path.
    """
    markers = {match.group(1): match.group(0) for defs in _DEFS.findall(data) for match in _DEF_PATH.finditer(defs)}

    def as_path(match: re.Match) -> bytes:
        use = _attributes(match.group(0))
        marker = markers.get(use.get(b"xlink:href", b"")[1:])
        if marker is None or set(use) & _ON_THE_WHOLE or not {b"x", b"y"} <= set(use):
            return match.group(0)
        own = _attributes(marker)
        if b"style" in use or b"style" in own:  # a style left as it is (see _as_attributes): not merged here
            return match.group(0)
        moved = _moved(own.pop(b"d", b""), float(use[b"x"]), float(use[b"y"]))
        if moved is None:
            return match.group(0)
        del own[b"id"]
        inherited = {name: value for name, value in use.items() if name not in (b"xlink:href", b"x", b"y")}
        return _tag(b"path", {b"d": moved, **inherited, **own})

    data = _USE.sub(as_path, data)
    still_used = set(_POINTED_AT.findall(data))
    return _DEFS.sub(lambda defs: _DEF_PATH.sub(lambda match: match.group(0) if match.group(1) in still_used else b"",
                                                 defs.group(0)), data)


def _subpaths(d: bytes) -> list[list[tuple[float, float]]] | None:
    """The subpaths of a path made of moves, lines and closes only, each as its points in order (a closed one ends
    on its start again); ``None`` for any other path."""
    subpaths: list[list[tuple[float, float]]] = []
    numbers: list[float] = []
    for token in _PATH_TOKEN.findall(d):
        if token == b"M":
            subpaths.append([])
        elif token == b"z":
            if not subpaths or not subpaths[-1]:
                return None
            subpaths[-1].append(subpaths[-1][0])
        elif token.isalpha():
            if token != b"L":
                return None
        else:
            numbers.append(float(token))
            if len(numbers) == 2:
                if not subpaths:
                    return None
                subpaths[-1].append((numbers[0], numbers[1]))
                numbers = []
    return subpaths if subpaths and not numbers else None


def _without_idle_clips(data: bytes) -> bytes:
    """``data`` without the clips that cut nothing, each mark's paint measured (see :func:`_unclipped`): 244 of the
    429 in the figures of QPV-CANAL's demo report.

    matplotlib clips every mark of an axes to the axes, most of which lie inside; WeasyPrint clips each at a cost
    (4 % of a report's PDF). A clip that may cut something is kept, and a clip on what cannot be measured here (a
    text, a transformed path, a group holding anything but paths). If a group passes a stroke on to what it holds,
    the marks' paint cannot be read from their own attributes: every clip is kept.
    """
    if _INHERITED_STROKE.search(data):
        return data
    boxes = {}
    for match in _CLIP_RECT.finditer(data):
        rect = {name: float(value) for name, value in _attributes(match.group(2)).items()
                if name in (b"x", b"y", b"width", b"height")}
        if len(rect) == 4:
            boxes[match.group(1)] = (rect[b"x"], rect[b"y"], rect[b"x"] + rect[b"width"], rect[b"y"] + rect[b"height"])

    def unclipped(match: re.Match) -> bytes:
        box, content = boxes.get(match.group(3)), match.group(4)
        if box is None or (match.group(1) == b"path") != (content is None):
            return match.group(0)
        start = match.start(2) - match.start(0)
        without = match.group(0)[:start] + match.group(0)[start + len(match.group(2)):]
        if content is None:
            return without if _unclipped(without, box) else match.group(0)
        # a group: only paths in it, each of which needs no clip
        tags = _TAG.findall(content)
        if not tags or _TAG.sub(b"", content).strip() or not all(tag.startswith(b"<path ") for tag in tags):
            return match.group(0)
        return without if all(_unclipped(tag, box) for tag in tags) else match.group(0)

    return _CLIPPED.sub(unclipped, data)


def _unclipped(tag: bytes, box: tuple[float, float, float, float]) -> bool:
    """Whether the path ``tag`` draws without a clip what it draws clipped by the rectangle ``box`` (x0, y0, x1, y1).

    What a path paints: its points (a curve stays inside its control points), and, if it is stroked, half the
    stroke's width around its lines; a square or round end reaches half the width beyond the end, and a corner
    reaches farther: at most half the width on each axis where every line is horizontal or vertical, at most twice
    the width otherwise (a mitre is cut at four half-widths, SVG's default limit). The clip is left out if all that
    stays :data:`_CLEAR` away from the rectangle's edges: a mark that touches an edge is smoothed differently with
    and without its clip (up to 111 levels of 255 on a few of the edge's pixels, as poppler draws the PDF).
    """
    attributes = _attributes(tag)
    if b"d" not in attributes or set(attributes) & _NOT_MEASURED:
        return False
    points = _path_points(attributes[b"d"])
    if not points:
        return False
    if attributes.get(b"stroke", b"none") == b"none":
        reach = 0.0
    else:
        half = float(attributes.get(b"stroke-width", b"1")) / 2
        subpaths = _subpaths(attributes[b"d"])
        straight = subpaths is not None and all(a[0] == b[0] or a[1] == b[1] for line in subpaths
                                                for a, b in zip(line, line[1:], strict=False))
        reach = half if straight else 4 * half
    margin = reach + _CLEAR
    x0, y0, x1, y1 = box
    return all(x0 + margin <= x <= x1 - margin and y0 + margin <= y <= y1 - margin for x, y in points)


def _without_blanks_between_tags(data: bytes) -> bytes:
    """``data`` without the line breaks and indents between its tags, except inside a text (where a space between
    two parts of it shows): nothing for the picture, 9 % lighter, and 3 % of a report's PDF (WeasyPrint
    reads each blank as a text)."""
    return b"".join(part if part.startswith(b"<text") else _BLANK_BETWEEN_TAGS.sub(b"", part)
                    for part in _TEXT_ELEMENT.split(data))


def _without_plain_groups(data: bytes) -> bytes:
    """``data`` without the groups that only name what they hold (matplotlib wraps every tick, label and patch in
    one or two: ``<g id="xtick_1"><g id="line2d_1">…``), their content kept in place.

    Such a group changes nothing in the picture (no transform, style or clip to pass on); WeasyPrint still
    saves and restores its drawing state for each, two thousand in a report's figures, about 0.15 s of its PDF.
    A group that something points at (``href="#…"``, ``url(#…)``) is kept.
    """
    pointed_at = set(_POINTED_AT.findall(data))

    def unwrap(match: re.Match) -> bytes:
        name = match.group(1) if match.group(1) is not None else match.group(3)
        return match.group(0) if name in pointed_at else (match.group(2) or b"")

    while True:  # innermost first: a group holding plain groups is plain once they are gone
        unwrapped = _PLAIN_GROUP.sub(unwrap, data)
        if unwrapped == data:
            return data
        data = unwrapped


def _as_attributes(tag: bytes) -> bytes:
    """``tag`` with its ``style`` written as presentation attributes (``fill="#fff"`` for ``style="fill: #fff"``).

    The picture is the same; WeasyPrint draws it faster: it parses every ``style`` with a CSS parser, once per
    mark, about a tenth of a report's PDF time. A style with a property that is not an attribute is kept as it is.
    """
    match = _STYLE.search(tag)
    if match is None:
        return tag
    declarations = [item.split(b":", 1) for item in match.group(1).split(b";") if item.strip()]
    if any(len(pair) != 2 or pair[0].strip() not in _PRESENTATION for pair in declarations):
        return tag
    attributes = b"".join(b' %s="%s"' % (name.strip(), value.strip()) for name, value in declarations)
    return tag[:match.start()] + attributes + tag[match.end():]


@_holding_settings
def png(figure: Figure, *, dpi: float) -> bytes:
    """``figure`` as a PNG at ``dpi``, reduced to a palette of 256 colours (without dithering, which would blur
    the text's edges): three times smaller than full colour, the same to the eye."""
    from PIL import Image

    buffer = BytesIO()
    # uncompressed: read back at once, and compressing ten megabytes of pixels costs more than drawing them
    _save(figure, buffer, format="png", dpi=dpi, pil_kwargs={"compress_level": 0})
    image = Image.open(BytesIO(buffer.getvalue())).convert("RGB")
    out = BytesIO()
    image.quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(out, format="png",
                                                                                          optimize=True)
    return out.getvalue()


@_holding_settings
def crop(figure: Figure) -> Bbox:
    """The part of ``figure`` an image shows (inches): the bounds of its content after its layout, plus
    :data:`PAD_INCHES`; measured once, at the figure's own resolution, then kept on the figure."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    bounds = getattr(figure, "_collective_impact_crop", None)
    if bounds is None:
        if not isinstance(figure.canvas, FigureCanvasAgg):
            FigureCanvasAgg(figure)  # a figure made without pyplot: measured as the others are
        # text measured unhinted, as the SVG shows it (hinted at 100 dpi, a long legend is up to 1 % narrower)
        with mpl.rc_context({"text.hinting": "none"}):
            # the layout engine places the axes, their labels and the legends; measuring the
            # bounds places the rest (ticks, titles): no drawing pass is needed before the save's
            engine = figure.get_layout_engine()
            if engine is not None:
                engine.execute(figure)
            bounds = figure.get_tightbbox(figure.canvas.get_renderer()).padded(PAD_INCHES)
        figure._collective_impact_crop = bounds
    return bounds


def _save(figure: Figure, buffer: BytesIO, **options: Any) -> None:
    """Save the :func:`crop` of ``figure`` as it is laid out: its layout engine, which savefig would run again,
    is set aside while it is saved, then put back."""
    bounds = crop(figure)
    engine = figure.get_layout_engine()
    if engine is not None:
        with mpl.rc_context(_NO_ENGINE):
            figure.set_layout_engine(None)
    try:
        figure.savefig(buffer, bbox_inches=bounds, facecolor="white", **options)
    finally:
        if engine is not None:
            figure.set_layout_engine(engine)
