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
    report's PDF, counted in instructions)."""
    buffer = BytesIO()
    with mpl.rc_context({"svg.fonttype": "none", "svg.hashsalt": "collective-impact"}):
        # no date, and none of the other entries matplotlib writes by default: no <metadata> at all
        _save(figure, buffer, format="svg", metadata=dict.fromkeys(("Date", "Creator", "Format", "Type")))
    data = _TAG.sub(lambda tag: _as_attributes(_DECIMALS.sub(rb"\1", tag.group(0))), buffer.getvalue())
    data = _NO_ROTATION.sub(b"", data)
    if _SHEET.search(data):
        data = _ROOT.sub(b'<svg stroke-linejoin="round" stroke-linecap="butt" ', _SHEET.sub(b"", data, count=1), count=1)
    return _without_plain_groups(_EMPTY_DEFS.sub(b"", data, count=1))


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
