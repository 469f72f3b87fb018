"""Draw each text of a figure in one piece when WeasyPrint prints a report's SVG figures.

WeasyPrint (up to 70 at least) draws an SVG ``<text>`` code point by code point, because SVG
lets each letter have its own position: every letter gets its own Pango layout and its own
text operator in the PDF. matplotlib's figures never position letters one by one (a label is
one ``<text>`` with one ``x`` and one ``y``), so this costs the report's 16 figures about
10,000 layouts for nothing, a fifth of a PDF's time (3.18 against 2.51 s, best of six taken
in turn on the demo report of QPV-CANAL, WeasyPrint 70), and it splits what should stay
together: a letter and its combining accent (``e`` + U+0301, as names typed on some systems
are stored), kerning pairs, ligatures. This is WeasyPrint's open issue 2249, whose maintainer
proposes the same workaround: draw the whole text when no letter is positioned on its own.

:func:`install` wraps WeasyPrint's SVG text drawing so that a ``<text>`` or ``<tspan>`` with a
single ``x`` and ``y`` and no ``dx``, ``dy``, ``rotate``, ``letter-spacing`` or ``textLength``
is handed to WeasyPrint's own function as one piece; everything else (those attributes,
``<textPath>``, text spread over lines) goes through WeasyPrint's function unchanged. The
text anchor, the bounding box and the colours stay WeasyPrint's. It is applied only to the
WeasyPrint versions it was checked on (:data:`CHECKED_VERSIONS`) and only when WeasyPrint's
SVG module still has the shape it relies on; otherwise WeasyPrint is left as it is (slower,
the same PDF but for the pieces above).
"""

from __future__ import annotations

import importlib
import re
import threading

__all__ = ["CHECKED_VERSIONS", "install", "installed", "uninstall"]

#: WeasyPrint major versions whose SVG text drawing this was checked against.
CHECKED_VERSIONS = frozenset({"70"})
#: Attributes that place letters one by one, read as WeasyPrint reads them (``letter-spacing`` is inherited).
_OWN_ATTRIBUTES = ("dx", "dy", "rotate", "textLength")
_INHERITED = ("letter-spacing",)
_SEVERAL = re.compile(r"[\s,]")
_LOCK = threading.Lock()
_state: dict = {}


class _OnePiece(str):
    """A text that WeasyPrint's per-letter loop sees as a single letter."""

    __slots__ = ()

    def __iter__(self):
        yield str(self)


def _letters_placed_one_by_one(node) -> bool:
    attributes = node.attrib
    if any(name in attributes for name in _OWN_ATTRIBUTES):
        return True
    if any(node.get(name) not in (None, "", "normal", "0") for name in _INHERITED):
        return True
    return any(_SEVERAL.search(attributes.get(axis, "").strip()) for axis in ("x", "y"))


def _whole(original):
    def text(svg, node, font_size):
        element = node._etree_node
        value = element.text
        if (node.tag not in ("text", "tspan") or not value or "\n" in value
                or _letters_placed_one_by_one(node)):
            return original(svg, node, font_size)
        element.text = _OnePiece(value)
        try:
            return original(svg, node, font_size)
        finally:
            element.text = value

    text.__wrapped__ = original
    return text


def _svg_module(weasyprint):
    if weasyprint.__version__.split(".")[0] not in CHECKED_VERSIONS:
        return None
    svg = importlib.import_module("weasyprint.svg")
    original = importlib.import_module("weasyprint.svg.text").text
    node_text = getattr(getattr(svg, "Node", None), "text", None)
    if (getattr(svg, "text", None) is not original or svg.TAGS.get("text") is not original
            or not isinstance(node_text, property)):
        return None
    return svg


def install(weasyprint) -> bool:
    """Draw simple SVG texts in one piece from now on in this process; ``True`` if applied.

    Idempotent and safe from several threads. Not applied (``False``) to a WeasyPrint
    version outside :data:`CHECKED_VERSIONS` or whose SVG module has changed shape.
    """
    with _LOCK:
        if _state:
            return True
        svg = _svg_module(weasyprint)
        if svg is None:
            return False
        original = svg.text
        whole = _whole(original)
        tags = [tag for tag, draw in svg.TAGS.items() if draw is original]
        # WeasyPrint recognises text nodes by comparing TAGS' entries with its module's ``text``: both change.
        for tag in tags:
            svg.TAGS[tag] = whole
        svg.text = whole
        _state.update(svg=svg, original=original, tags=tags)
        return True


def uninstall() -> None:
    """Give WeasyPrint its own SVG text drawing back (letter by letter)."""
    with _LOCK:
        if not _state:
            return
        svg, original = _state["svg"], _state["original"]
        for tag in _state["tags"]:
            svg.TAGS[tag] = original
        svg.text = original
        _state.clear()


def installed() -> bool:
    """Whether simple SVG texts are drawn in one piece in this process."""
    return bool(_state)
