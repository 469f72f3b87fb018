"""The files of a questionnaire campaign: ``invitations.csv`` for a mail merge, ``invitations.html`` to print.

Both hold the personal links in clear: they are secrets. They are written atomically
(:mod:`collective_impact.files`) with mode ``0600`` (readable by their owner only).

* The CSV is for French spreadsheets and mail clients: UTF-8 with a byte order mark,
  ``;`` between columns, one row per link; every value from the data goes through
  :func:`~collective_impact.i18n.format.spreadsheet_text`, so that a partner named
  ``=HYPERLINK(…)`` stays text.
* The HTML page prints one card per link, two per A4 page: the partner, the territory,
  the wave, the closing date, the link and its QR code (inline SVG drawn by ``segno``).
  It loads nothing from outside (a Content-Security-Policy says so to the browser), and
  every value from the data is escaped.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
import segno

from collective_impact.files import atomic_path
from collective_impact.i18n import t
from collective_impact.i18n.format import escape_html, format_date, is_missing, spreadsheet_text
from collective_impact.schema import CODES, TABLES

from .campaigns import Link, link_url, wave_closes

__all__ = ["EMAIL_COLUMN", "Invitation", "invitations", "write_cards", "write_csv"]

#: The partners' column the CSV takes contact addresses from, when the schema has one.
EMAIL_COLUMN = "email"
#: Owner only: the files hold the links in clear.
SECRET_MODE = 0o600


@dataclass(frozen=True)
class Invitation:
    """One link as the files show it; ``url`` is ``None`` when the token is not known (a reminder)."""

    link: Link
    url: str | None
    partner_name: str | None
    kind: str | None
    email: str | None
    number: int  # the link's rank among its partner's links (1, 2…)
    of: int  # how many links the partner has in the file


def has_email_column() -> bool:
    """Whether the partners table has a contact e-mail column to fill the CSV's from."""
    return EMAIL_COLUMN in TABLES["partners"].column_ids


def invitations(links: Sequence[tuple[Link, str | None]], partners: pd.DataFrame, *,
                base_url: str | None = None) -> list[Invitation]:
    """The links (with their token, or ``None``) joined with their partner's name, kind and e-mail."""
    known = partners.set_index("partner_id") if not partners.empty else partners
    per_partner: dict[str | None, int] = {}
    for link, _ in links:
        per_partner[link.partner_id] = per_partner.get(link.partner_id, 0) + 1
    seen: dict[str | None, int] = {}
    made = []
    for link, token in links:
        row = known.loc[link.partner_id] if link.partner_id is not None and link.partner_id in known.index else None
        seen[link.partner_id] = seen.get(link.partner_id, 0) + 1

        def value(column: str, row=row) -> str | None:
            if row is None or column not in row.index or is_missing(row[column]):
                return None
            return str(row[column])

        made.append(Invitation(link, None if token is None or base_url is None else link_url(base_url, token),
                               value("name"), value("kind"), value(EMAIL_COLUMN), seen[link.partner_id],
                               per_partner[link.partner_id]))
    return made


def _kind_label(kind: str | None, lang: str) -> str:
    labels = {code.id: code.label(lang) for code in CODES["partner_kind"]}
    return labels.get(kind, kind or "")


def _secret(path: Path) -> None:
    os.chmod(path, SECRET_MODE)


def write_csv(path: str | os.PathLike, rows: Sequence[Invitation], *, lang: str = "fr",
              opened_column: bool = False) -> Path:
    """Write the links as a CSV for a mail merge (see the module's notes); return its path."""
    headers = [t(f"campaigns.csv.{name}", lang) for name in
               ("partner_id", "partner_name", "kind", "email", "invitation_id", "link", "closes")]
    if opened_column:
        headers.append(t("campaigns.csv.opened", lang))
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(headers)
    for item in rows:
        no_partner = t("campaigns.no_partner", lang)
        values = [item.link.partner_id or "", item.partner_name or no_partner, _kind_label(item.kind, lang),
                  item.email or "", item.link.invitation_id, item.url or "", item.link.closes.isoformat()]
        if opened_column:
            values.append(t("campaigns.yes" if item.link.opened else "campaigns.no", lang))
        writer.writerow([spreadsheet_text(v) for v in values])
    target = Path(path)
    with atomic_path(target, lang=lang) as temporary:
        _secret(temporary)
        # utf-8-sig: the byte order mark makes French Excel read the accents right
        temporary.write_bytes(buffer.getvalue().encode("utf-8-sig"))
    return target


_CSS = """
@page { size: A4; margin: 12mm; }
body { font-family: sans-serif; color: #222; margin: 0; }
.card { box-sizing: border-box; height: 128mm; border: 1px dashed #888; padding: 8mm; margin-bottom: 5mm;
        display: flex; gap: 8mm; align-items: center; break-inside: avoid; page-break-inside: avoid; }
.card:nth-of-type(2n) { break-after: page; page-break-after: always; }
.text { flex: 1; }
.text h1 { font-size: 15pt; margin: 0 0 3mm; }
.text h2 { font-size: 13pt; margin: 0 0 4mm; }
.text p { margin: 1.5mm 0; font-size: 11pt; }
.url { font-family: monospace; font-size: 9pt; word-break: break-all; }
.qr svg { width: 55mm; height: 55mm; }
.ref { color: #666; font-size: 9pt; }
@media screen { body { margin: 10mm; } }
"""


def _qr(url: str) -> str:
    # error level M and a quiet zone of 4 modules: readable from a printed page, even creased
    return segno.make(url, error="m").svg_inline(scale=4, border=4, title=None)


def write_cards(path: str | os.PathLike, rows: Sequence[Invitation], *, territory_name: str, wave: int, closes: date,
                lang: str = "fr") -> Path:
    """Write the printable cards (one per link, two per A4 page; see the module's notes); return the path."""
    cards = []
    for item in rows:
        if item.url is None:
            continue
        partner = item.partner_name or t("campaigns.no_partner", lang)
        rank = t("campaigns.card.rank", lang, n=item.number, of=item.of) if item.of > 1 else ""
        cards.append(
            '<section class="card"><div class="text">'
            f"<h1>{escape_html(t('campaigns.card.title', lang))}</h1>"
            f"<h2>{escape_html(partner)} {escape_html(rank)}</h2>"
            f"<p>{escape_html(t('campaigns.card.territory', lang, territory=territory_name, wave=wave))}</p>"
            f"<p>{escape_html(t('campaigns.card.closes', lang, date=format_date(closes, lang)))}</p>"
            f"<p>{escape_html(t('campaigns.card.how', lang))}</p>"
            f'<p class="url">{escape_html(item.url)}</p>'
            f'<p class="ref">{escape_html(t("campaigns.card.ref", lang, ref=item.link.invitation_id))}</p>'
            f'</div><div class="qr">{_qr(item.url)}</div></section>'
        )
    title = escape_html(t("campaigns.card.page_title", lang, territory=territory_name, wave=wave))
    page = (f'<!DOCTYPE html>\n<html lang="{escape_html(lang)}"><head><meta charset="utf-8">'
            '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; style-src \'unsafe-inline\'">'
            '<meta name="referrer" content="no-referrer">'
            f"<title>{title}</title><style>{_CSS}</style></head><body>\n" + "\n".join(cards) + "\n</body></html>\n")
    target = Path(path)
    with atomic_path(target, lang=lang) as temporary:
        _secret(temporary)
        temporary.write_text(page, encoding="utf-8")
    return target


def write_files(store, territory_id: str, wave: int, made: Sequence[tuple[Link, str | None]],
                folder: str | os.PathLike, *, stem: str = "invitations", opened_column: bool = False,
                cards: bool = True, lang: str = "fr") -> list[Path]:
    """Write ``stem.csv`` (and the printable cards ``stem.html``) of ``made`` into ``folder``.

    The one place that turns links with their tokens into the files of a wave: the
    ``campaign`` command writes them where it is told, the home page into a temporary
    folder whose bytes it offers for download.

    Parameters
    ----------
    store : Store
        The evaluation store (partners, the wave's closing date and address).
    territory_id, wave
        The wave the links belong to.
    made : sequence of (Link, token or None)
        The links; a token is None for a link whose address cannot be shown again.
    folder : path
        Where to write.
    stem : str
        The files' name without suffix (``invitations``, ``relances``).
    opened_column, cards : bool
        Whether the CSV tells if each link was opened; whether the cards are written.
    lang : {"fr", "en"}
        Language of the files.

    Returns
    -------
    list of Path
        The files written.
    """
    closes, base, _closed = wave_closes(store, territory_id, wave)
    partners = store.load(["partners"], territories=[territory_id])["partners"]
    rows = invitations(made, partners, base_url=base)
    folder = Path(folder)
    written = [write_csv(folder / f"{stem}.csv", rows, lang=lang, opened_column=opened_column)]
    if cards:
        name = store.territory_names().get(territory_id, territory_id)
        written.append(write_cards(folder / f"{stem}.html", rows, territory_name=name, wave=wave, closes=closes,
                                   lang=lang))
    return written
