"""Markdown for notebooks and reports, with every value from the data escaped.

Notebooks display Markdown built from data (territory and partner names, indicator
labels, justifications…). A name such as ``<script>alert(1)</script>`` must show as text,
in JupyterLab and in the exported HTML report. The helpers here are the only way the
report turns data into Markdown:

- :func:`md` fills a Markdown template with escaped values (HTML *and* Markdown syntax);
- :func:`message` does the same with a template of the i18n catalogue;
- :func:`names` lists names from the data (« A », « B » et 2 autres), escaped;
- :class:`Markdown` and :class:`HTML` are what Jupyter displays as such.

Tables are in :mod:`collective_impact.report.tables`; numbers, percentages and dates are
written by :mod:`collective_impact.i18n.format`.
"""

from __future__ import annotations

from collective_impact.i18n import t
from collective_impact.i18n.format import escape, is_missing

__all__ = ["HTML", "Markdown", "md", "message", "names"]

class _Shown:
    """Text that Jupyter displays through the subclass's ``_repr_*_`` method; ``str()`` gives
    the source.

    Tiny classes of our own so that the package does not need IPython to build text.
    """

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text


class Markdown(_Shown):
    """Markdown text displayed as such by Jupyter (like ``IPython.display.Markdown``)."""

    def _repr_markdown_(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"Markdown({self.text!r})"


class HTML(_Shown):
    """HTML displayed as such by Jupyter (like ``IPython.display.HTML``)."""

    def _repr_html_(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"HTML({self.text[:60]!r}…)"


def md(template: str, /, **values: object) -> Markdown:
    """Markdown from ``template`` (``str.format`` syntax) with every value escaped.

    The template is trusted text written by the project (it may hold Markdown: headings,
    emphasis, lists); the values come from data and are passed through :func:`escape`.
    Values that are already formatted numbers or dates are escaped too (harmless).

    Examples
    --------
    >>> str(md("## {name}", name="<b>Quartier</b> *Nord*"))
    '## &lt;b&gt;Quartier&lt;/b&gt; \\\\*Nord\\\\*'
    """
    return Markdown(template.format(**{key: escape(value) for key, value in values.items()}))


def message(key: str, lang: str = "fr", /, **values: object) -> Markdown:
    """Markdown of the i18n message ``key`` in ``lang``, its placeholders filled with escaped values."""
    return md(t(key, lang), **values)


def names(values: object, lang: str = "fr", *, limit: int | None = None) -> str:
    """Names from the data as Markdown-safe text: ``« A », « B » et « C »`` (``'A', 'B' and 'C'`` in English).

    Every name is escaped (:func:`escape`); missing values are skipped. With ``limit``,
    at most that many names are spelled out and the rest counted (« et 3 autres »).
    """
    found = [escape(v) for v in (values if values is not None else []) if not is_missing(v)]
    open_quote, close_quote = ("«\u00a0", "\u00a0»") if lang == "fr" else ("“", "”")
    quoted = [f"{open_quote}{v}{close_quote}" for v in found]
    rest = 0
    if limit is not None and len(quoted) > limit:
        rest = len(quoted) - limit
        quoted = quoted[:limit]
    if rest:
        return t("narrative.list_more_one" if rest == 1 else "narrative.list_more", lang, names=", ".join(quoted),
                 n=rest)
    if len(quoted) <= 1:
        return "".join(quoted)
    return t("narrative.list_last", lang, names=", ".join(quoted[:-1]), last=quoted[-1])
