"""What a step of the report shows and how it is displayed: :class:`Block`, :class:`Step`, ``show_*``.

A :class:`Step` holds a heading and a plain-language introduction (Markdown), a list of
:class:`Block` (Markdown texts, HTML tables, figures drawn on demand by
:mod:`collective_impact.plots`) and conclusions written from the metrics. The same objects
serve the evaluation notebook, the HTML report and the Voila apps.

Display
-------
In a notebook cell, one call: :func:`show_intro`, :func:`show_blocks`,
:func:`show_conclusions` (or :func:`show_step` for all three). In a Voila app,
:func:`render_step` draws a step into an ``ipywidgets.Output`` (through :func:`show_in`,
which the apps use for anything they show in an ``Output``).
"""

from __future__ import annotations

import base64
import re
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from collective_impact.i18n import t
from collective_impact.i18n.format import escape_html
from collective_impact.plots import images
from collective_impact.report.markdown import Markdown
from collective_impact.report.tables import show_table
from collective_impact.report.text import band_values, typo

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

    from collective_impact.report.bundle import ComparisonData, TerritoryData

__all__ = ["FIGURE_DPI", "SVG_BUDGET", "Block", "Step", "figure_block", "render_step", "show_blocks", "show_conclusions",
           "show_howto", "show_in", "show_intro", "show_step", "table_block", "text_block", "typeset"]

#: Resolution of a figure drawn as PNG: 1.5 pixel per point of the 100-dpi layout of the plots,
#: shown at the layout's width, so that text stays sharp on high-density screens and in print.
FIGURE_DPI = 150
_LAYOUT_DPI = 100
#: A figure whose SVG is larger than this (bytes) is also drawn as a PNG, and the smaller of
#: the two is kept: most figures are a few dozen marks and their SVG is 5 to 10 times
#: smaller than the PNG; a figure of thousands of marks is smaller as PNG. Below it the PNG,
#: slower to draw, is never tried: with a budget of 40 kB, the demo territories' figures of
#: 43 to 122 kB were tried as PNG 1 to 4 times per territory (0.2 to 1.5 s of a territory's
#: 2.6 to 4.4 s of figures and steps), for PNGs that were larger, or at most 25 kB smaller.
SVG_BUDGET = 150_000
#: Fonts an SVG viewer falls back on when it lacks DejaVu Sans (the plots' font): fonts of
#: similar width, so that labels keep their place.
_SVG_FONTS = "'DejaVu Sans', 'Bitstream Vera Sans', Verdana, sans-serif"


def _svg(figure: Figure) -> bytes:
    """``figure`` as SVG: text kept as text (selectable, searchable, sharp at any zoom), no date (same bytes each run)."""
    svg = images.svg(figure)
    # matplotlib names only the font the figure was drawn with, which a viewer may lack
    return svg.replace(b"font-family=\"'DejaVu Sans'", b'font-family="' + _SVG_FONTS.encode())


def _png(figure: Figure) -> bytes:
    """``figure`` as a PNG at :data:`FIGURE_DPI`, reduced to a palette of 256 colours (without dithering,
    which would blur the text's edges): three times smaller than full colour, the same to the eye."""
    return images.png(figure, dpi=FIGURE_DPI)


def _shown_width(mime: str, data: bytes) -> int:
    """Width (CSS pixels) at which a figure is shown: its size in the plots' 100-dpi layout."""
    if mime == "image/png":
        return round(struct.unpack(">I", data[16:20])[0] * _LAYOUT_DPI / FIGURE_DPI)  # the PNG header's width
    points = re.search(rb'<svg[^>]*\swidth="([0-9.]+)pt"', data)
    return round(float(points.group(1)) * _LAYOUT_DPI / 72)


@dataclass(frozen=True, eq=False)
class Block:
    """One thing a step shows: a Markdown text, an HTML table or a figure.

    Attributes
    ----------
    kind
        ``"text"`` (``content`` is Markdown, values already escaped), ``"table"``
        (``content`` is an escaped HTML table) or ``"figure"`` (drawn by ``make`` on first
        use, then kept).
    name
        A stable name within the step (``"results_chain"``, ``"indicator_table"``…), for
        tests and apps that want one block.
    content
        The Markdown or HTML of a text or table.
    alt
        A figure's alternative text (also its plain-text form).
    make
        A figure's drawing function (a call to :mod:`collective_impact.plots`).
    """

    kind: str
    name: str
    content: str = ""
    alt: str = ""
    make: Callable[[], Figure] | None = field(default=None, repr=False)
    _cache: dict = field(default_factory=dict, repr=False, init=False)

    def figure(self) -> Figure:
        """The figure (drawn once). Raises ``TypeError`` for a text or table block."""
        if self.make is None:
            raise TypeError(f"block {self.name!r} is a {self.kind}, not a figure")
        if "figure" not in self._cache:
            self._cache["figure"] = self.make()
        return self._cache["figure"]

    def image(self) -> tuple[str, bytes]:
        """The figure as ``(mime type, bytes)`` (rendered once): SVG, unless it exceeds :data:`SVG_BUDGET`
        and the PNG is smaller. The HTML report, the PDF and the apps show the same image."""
        if "image" not in self._cache:
            svg = _svg(self.figure())
            image = ("image/svg+xml", svg)
            if len(svg) > SVG_BUDGET:
                png = _png(self.figure())
                if len(png) < len(svg):
                    image = ("image/png", png)
            self._cache["image"] = image
        return self._cache["image"]

    def cached_image(self) -> tuple[str, bytes] | None:
        """The figure's image as :meth:`image` gives it if it was rendered already, else ``None`` (nothing is drawn)."""
        return self._cache.get("image")

    def reuse_image(self, image: tuple[str, bytes]) -> bool:
        """Take ``image`` (``(mime type, bytes)``, as another block's :meth:`image` gave it) as this figure's image.

        For a figure whose data are known to be those of the block that drew ``image``: the
        guided evaluation's report takes the figures the page has shown. Only when this block
        has no image yet (what was shown stays shown); returns whether ``image`` was taken.
        Raises ``TypeError`` for a text or table block.
        """
        if self.make is None:
            raise TypeError(f"block {self.name!r} is a {self.kind}, not a figure")
        if "image" in self._cache:
            return False
        self._cache["image"] = image
        return True

    def _repr_mimebundle_(self, include=None, exclude=None) -> tuple[dict, dict]:
        """What Jupyter shows: Markdown, HTML, or an image (SVG text or base64 PNG, with its alt text and display
        width)."""
        if self.kind == "text":
            return {"text/markdown": self.content, "text/plain": self.content}, {}
        if self.kind == "table":
            return {"text/html": self.content, "text/plain": self.name}, {}
        mime, data = self.image()
        shown = {"alt": self.alt, "width": _shown_width(mime, data)}
        value = data.decode("utf-8") if mime == "image/svg+xml" else base64.b64encode(data).decode("ascii")
        return {mime: value, "text/plain": self.alt}, {mime: shown}


def text_block(name: str, markdown: str) -> Block:
    """A text block (``markdown``: values already escaped)."""
    return Block("text", name, content=markdown)


def table_block(name: str, frame: pd.DataFrame, lang: str, **options: Any) -> Block:
    """A table block: ``frame`` through :func:`~collective_impact.report.tables.show_table` with ``options``."""
    return Block("table", name, content=str(show_table(frame, lang=lang, **options)))


def figure_block(name: str, alt: str, make: Callable[[], Figure]) -> Block:
    """A figure block, drawn by ``make`` when first shown."""
    return Block("figure", name, alt=alt, make=make)


def typeset(block: Block, lang: str) -> Block:
    """``block`` with the French typography of :func:`~collective_impact.report.text.typo` (figures as they are)."""
    if block.kind == "figure":
        return block
    return Block(block.kind, block.name, content=typo(block.content, lang), alt=block.alt, make=block.make)


@dataclass(frozen=True, eq=False)
class Step:
    """One step of the evaluation (or one section of the comparison).

    Attributes
    ----------
    id, number
        The step id (:data:`~collective_impact.report.steps.STEP_IDS`) and its number (from 1; 0 for a page
        without number: the essentials, the glossary).
    title
        The title in ``lang`` (plain text, no number).
    intro
        Markdown: the heading (``## 3. Système de mesure partagé``, picked up by the
        report's table of contents) and what the step looks at and how to read it.
    blocks
        Texts, tables and figures, in order.
    conclusions
        Markdown written from the metrics: the figures to remember, and the step's
        strengths and points of vigilance.
    condition
        The framework's condition of a condition step (steps 2–6), else ``None``: the
        condition on which the evaluator records an appraisal.
    lang
        Language of the texts.
    """

    id: str
    number: int
    title: str
    intro: str
    blocks: tuple[Block, ...]
    conclusions: str
    condition: str | None
    lang: str

    @property
    def heading(self) -> str:
        """The heading line without its ``##``: ``3. Système de mesure partagé`` (the title alone for number 0)."""
        return t("steps.heading_text", self.lang, number=self.number, title=self.title) if self.number else self.title

    def block(self, name: str) -> Block:
        """The block called ``name``; ``KeyError`` naming the blocks there are."""
        for block in self.blocks:
            if block.name == name:
                return block
        raise KeyError(f"no block {name!r} in step {self.id!r}; blocks: {', '.join(b.name for b in self.blocks)}")

    def markdown(self) -> str:
        """Every text of the step (intro, texts, tables' HTML, figures' alt texts, conclusions), for search and tests."""
        parts = [self.intro]
        parts += [b.content if b.kind != "figure" else b.alt for b in self.blocks]
        parts.append(self.conclusions)
        return "\n\n".join(parts)


def _display(*objects: object) -> None:
    from IPython.display import display

    display(*objects)


def show_intro(step: Step) -> None:
    """Display the step's heading and explanation (a notebook cell: ``show_intro(steps["mesure"])``)."""
    _display(Markdown(step.intro))


def show_blocks(step: Step) -> None:
    """Display the step's texts, tables and figures, in order."""
    _display(*step.blocks)


def show_conclusions(step: Step) -> None:
    """Display the step's conclusions."""
    _display(Markdown(step.conclusions))


def show_step(step: Step) -> None:
    """Display the whole step: intro, blocks, conclusions."""
    show_intro(step)
    show_blocks(step)
    show_conclusions(step)


def show_howto(territory: TerritoryData | ComparisonData) -> None:
    """Display the "how to read this report" section of the evaluation notebook."""
    lang = territory.lang
    _display(Markdown(typo(t("steps.howto", lang, **band_values(territory.framework, lang)), lang)))


def _display_output(obj: object) -> dict:
    """``obj`` as a ``display_data`` output: its MIME bundle, as Jupyter would display it."""
    from IPython import get_ipython
    from IPython.core.formatters import DisplayFormatter

    shell = get_ipython()
    formatter = shell.display_formatter if shell is not None else DisplayFormatter()
    data, metadata = formatter.format(obj)
    for mime in ("image/svg+xml", "image/png"):
        image = metadata.get(mime) or {}
        if mime in data and image.get("alt"):
            # the browser's image renderer drops the alternative text: an <img> keeps it
            width = f' width="{int(image["width"])}"' if image.get("width") else ""
            data = {**data, "text/html": f'<img src="{_data_url(mime, data[mime])}" '
                                         f'alt="{escape_html(image["alt"])}"{width}>'}
    return {"output_type": "display_data", "data": data, "metadata": metadata}


def _data_url(mime: str, value: str) -> str:
    """A ``data:`` address of an image output's value (SVG text, or PNG already in base64)."""
    encoded = base64.b64encode(value.encode("utf-8")).decode("ascii") if mime == "image/svg+xml" else value
    return f"data:{mime};base64,{encoded}"


def show_in(output: Any, objects: list) -> None:
    """Show ``objects`` in ``output`` (an ``ipywidgets.Output``), replacing what it showed, in one update.

    The outputs are set, not captured with ``with output:``: while Voila runs the
    notebook for a page, the capture goes through nbclient's imitation of the browser's
    Output widget, which sends every output back to the kernel; pages built that way
    sometimes never finished loading.
    """
    output.outputs = tuple(_display_output(obj) for obj in objects)


def render_step(step: Step, output: Any) -> None:
    """Draw ``step`` into ``output`` (an ``ipywidgets.Output``), replacing what it showed.

    For the Voila guided evaluation: the same intro, blocks and conclusions as the report,
    set in one update by :func:`show_in`.
    """
    show_in(output, [Markdown(step.intro), *step.blocks, Markdown(step.conclusions)])
