"""Questionnaire campaigns: one personal link per partner, its state, its answers.

A **wave** of a territory is opened with a closing date (:func:`open_wave`): every partner
gets one link or more (``per_partner``) and ``extra`` links tied to no partner (a conseil
citoyen, residents). A link is ``{base_url}/q/{token}``; the token is returned once and
never stored: the internal ``invitations`` table keeps its SHA-256 (:mod:`collective_impact.tokens`).

A link is one respondent: its respondent id is drawn with the link (``R`` + the random
part of the invitation id), never from a partner's name. The partner may come back with the
same link until the closing date; :func:`record_answers` replaces the link's answers and
comments, so the last ones count (the store's audit trail keeps the earlier versions).

States
------
``open``      answers are taken (until the closing date included);
``expired``   still ``open`` in the store, but the closing date has passed (computed, never stored);
``closed``    the wave was closed (:func:`close_wave`);
``revoked``   this link was disabled (:func:`revoke_link`, or replaced by :func:`reissue_links`).

Tables
------
``campaigns`` (territory, wave, closing date, base address of the links, opened and
closed times) and ``invitations`` (one row per link) are internal tables of the store,
not part of the input workbook: an export does not carry tokens, even hashed.
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from urllib.parse import urlsplit

import pandas as pd

from collective_impact.errors import CampaignError, InputError
from collective_impact.i18n import t
from collective_impact.i18n.format import clean_text, format_date, is_missing
from collective_impact.schema import CODES
from collective_impact.store import Store
from collective_impact.tokens import looks_like_token, new_token, same_token, token_hash

from .submit import typed_frame, validate_rows

__all__ = [
    "LINK_STATES",
    "Link",
    "campaign_status",
    "cancel_wave",
    "check_wave",
    "close_wave",
    "link_message",
    "link_url",
    "links",
    "mark_opened",
    "open_wave",
    "record_answers",
    "reissue_links",
    "resolve_link",
    "revoke_link",
    "status_by_kind",
    "wave_closes",
]

LINK_STATES = ("open", "closed", "revoked", "expired")
_COLUMNS = ("invitation_id", "territory_id", "wave", "partner_id", "respondent_id", "token_hash", "closes", "state",
            "opened_at", "answered_at")
_SELECT = "SELECT " + ", ".join(_COLUMNS) + ' FROM "invitations"'
STATUS_COLUMNS = ["wave", "partner_id", "partner_name", "kind", "invited", "opened", "answered"]


@dataclass(frozen=True)
class Link:
    """One personal link, as the store knows it (never its token).

    ``state`` is one of :data:`LINK_STATES` at the day it was read (``expired``: open in
    the store but past its closing date); ``opened`` and ``answered`` are the UTC times of
    the first opening and of the last answers, or ``None``.
    """

    invitation_id: str
    territory_id: str
    wave: int
    partner_id: str | None
    respondent: str
    state: str
    closes: date
    opened: datetime | None = None
    answered: datetime | None = None

    @property
    def is_open(self) -> bool:
        """Whether the link takes answers (its state at the day it was read)."""
        return self.state == "open"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _moment(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _link(row: tuple, today: date) -> Link:
    values = dict(zip(_COLUMNS, row, strict=True))
    closes = date.fromisoformat(values["closes"])
    state = values["state"]
    if state == "open" and today > closes:
        state = "expired"
    return Link(values["invitation_id"], values["territory_id"], int(values["wave"]), values["partner_id"],
                values["respondent_id"], state, closes, _moment(values["opened_at"]), _moment(values["answered_at"]))


def link_url(base_url: str, token: str) -> str:
    """The address a partner opens: ``{base_url}/q/{token}``."""
    return f"{base_url.rstrip('/')}/q/{token}"


# ------------------------------------------------------------------ links
def resolve_link(store: Store, token: object, *, today: date | None = None) -> Link | None:
    """The link of ``token``, or ``None`` when the token is malformed or unknown.

    The shape of the token is checked before the store is read, so that a random string
    costs no query; the lookup is by the token's hash (indexed) and the hashes are then
    compared in constant time. A closed, expired or revoked link is returned with that
    state: the caller tells the partner why the questionnaire is not shown.
    """
    if not looks_like_token(token):
        return None
    digest = token_hash(token)
    with store._reading() as con:
        row = con.execute(_SELECT + " WHERE token_hash = ?", (digest,)).fetchone()
    if row is None or not same_token(token, row[_COLUMNS.index("token_hash")]):
        return None
    return _link(row, today or date.today())


def _reload(store: Store, invitation_id: str, today: date) -> Link | None:
    with store._reading() as con:
        row = con.execute(_SELECT + " WHERE invitation_id = ?", (invitation_id,)).fetchone()
    return None if row is None else _link(row, today)


def links(store: Store, territory_id: str, wave: int | None = None, *, today: date | None = None) -> list[Link]:
    """Every link of a territory (of one wave, or of all), by wave then invitation id."""
    sql, params = _SELECT + " WHERE territory_id = ?", [territory_id]
    if wave is not None:
        sql += " AND wave = ?"
        params.append(int(wave))
    with store._reading() as con:
        rows = con.execute(sql + " ORDER BY wave, partner_id IS NULL, partner_id, invitation_id", params).fetchall()
    day = today or date.today()
    return [_link(row, day) for row in rows]


def mark_opened(store: Store, link: Link) -> Link:
    """Record the first opening of ``link`` (later openings change nothing); return it updated."""
    if link.opened is not None:
        return link
    now = _now()

    def work(con: sqlite3.Connection) -> str:
        con.execute('UPDATE "invitations" SET opened_at = ? WHERE invitation_id = ? AND opened_at IS NULL',
                    (now, link.invitation_id))
        return con.execute('SELECT opened_at FROM "invitations" WHERE invitation_id = ?',
                           (link.invitation_id,)).fetchone()[0]

    return replace(link, opened=_moment(store._write(work)))


def link_message(link: Link | None, lang: str = "fr") -> str:
    """What to tell the person who opened ``link``: why it takes no answers, or until when it does.

    ``None`` (a malformed or unknown token) gives the "unknown link" message; for the pages
    of the partners' server and the refusals of :func:`record_answers`.
    """
    if link is None:
        return t("campaigns.link_unknown", lang)
    return t(f"campaigns.link_{link.state}", lang, date=format_date(link.closes, lang))


def _refuse_unless_open(store: Store, link: Link, today: date, lang: str) -> Link:
    """The link as stored now; :class:`CampaignError` unless it takes answers at ``today``."""
    current = _reload(store, link.invitation_id, today)
    if current is None or current.territory_id != link.territory_id or current.wave != link.wave:
        raise CampaignError(link_message(None, lang))
    if not current.is_open:
        raise CampaignError(link_message(current, lang))
    return current


def record_answers(store: Store, link: Link, answers: pd.DataFrame, comments: Mapping[str, object] | None = None, *,
                   today: date | None = None, lang: str = "fr") -> int:
    """Store the answers and comments of a link's respondent, replacing what the link sent before.

    Parameters
    ----------
    store
        The evaluation store.
    link
        The link answering (from :func:`resolve_link`); its state is read again from the
        store, so that a link revoked or closed meanwhile is refused.
    answers
        Columns ``item_id`` and ``score`` (1 to 5, or missing for "ne sait pas").
    comments
        Condition id → free text (blank texts are left out).
    today
        The day of the answers (default: the clock's).
    lang
        Language of the messages.

    Returns
    -------
    int
        The number of answer rows stored.

    Raises
    ------
    CampaignError
        When the link does not take answers (closed, expired, revoked, unknown), or when
        ``answers`` is empty.
    InputError
        When an answer or a comment breaks the schema (unknown item, score out of range,
        unknown condition, text too long); nothing is written.
    """
    day = today or date.today()
    link = _refuse_unless_open(store, link, day, lang)
    if answers.empty:
        # the questionnaire sends every item ("ne sait pas" included): none at all is a broken form
        raise CampaignError(t("campaigns.no_answer", lang))
    base = {"territory_id": link.territory_id, "wave": link.wave, "respondent_id": link.respondent}
    response_rows = [
        {**base, "partner_id": link.partner_id, "item_id": str(item), "answered_on": day,
         "score": None if is_missing(score) else score}
        for item, score in zip(answers["item_id"], answers["score"], strict=True)
    ]
    comment_rows = []
    for condition, remark in (comments or {}).items():
        remark = clean_text(remark, multiline=True) if not is_missing(remark) else ""
        if remark:
            comment_rows.append({**base, "condition": str(condition), "text": remark})
    problems = validate_rows(store, "responses", response_rows, lang=lang, today=day)
    if comment_rows:
        problems += validate_rows(store, "comments", comment_rows, lang=lang, today=day)
    # a partner has no way to confirm a plausible-but-odd value: only errors refuse the answers
    problems = [problem for problem in problems if not problem.is_warning]
    if problems:
        raise InputError(problems, message=t("forms.fix_fields", lang))
    # one transaction (the store's audited replace): the answers, the comments and the
    # "answered" mark are written together or not at all; the link's state is read again
    # inside it, so a link revoked or closed a moment ago takes nothing
    who = t("campaigns.audit_who", "fr", link=link.invitation_id)
    now = _now()

    def mark_answered(con) -> None:
        row = con.execute('SELECT state FROM "invitations" WHERE invitation_id = ?', (link.invitation_id,)).fetchone()
        if row is None or row[0] != "open":
            raise CampaignError(link_message(None if row is None else replace(link, state=row[0]), lang))
        con.execute('UPDATE "invitations" SET answered_at = ? WHERE invitation_id = ?', (now, link.invitation_id))

    counts = store.replace_many([("responses", typed_frame("responses", response_rows), base),
                                 ("comments", typed_frame("comments", comment_rows), base)],
                                who=who, then=mark_answered)
    written = counts[0][1]
    return written


# ------------------------------------------------------------------ waves
def _check_base_url(base_url: str, lang: str) -> str:
    parts = urlsplit(base_url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment \
            or any(ch.isspace() for ch in base_url.strip()):
        raise CampaignError(t("campaigns.bad_base_url", lang, url=base_url))
    return base_url.strip().rstrip("/")


def _campaign(con: sqlite3.Connection, territory_id: str, wave: int) -> tuple | None:
    return con.execute('SELECT closes, base_url, closed_at FROM "campaigns" WHERE territory_id = ? AND wave = ?',
                       (territory_id, wave)).fetchone()


def _new_links(con: sqlite3.Connection, territory_id: str, wave: int, closes: date,
               partners: list[str | None]) -> list[tuple[Link, str]]:
    """Insert one link per entry of ``partners`` (``None``: tied to no partner); return them with their tokens."""
    created, made = _now(), []
    for partner in partners:
        random_part = secrets.token_hex(5)
        token = new_token()
        link = Link(f"L{random_part}", territory_id, wave, partner, f"R{random_part}", "open", closes)
        con.execute('INSERT INTO "invitations" (invitation_id, territory_id, wave, partner_id, respondent_id, '
                    "token_hash, created_at, closes, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'open')",
                    (link.invitation_id, territory_id, wave, partner, link.respondent, token_hash(token), created,
                     closes.isoformat()))
        made.append((link, token))
    return made


def open_wave(store: Store, territory_id: str, wave: int, *, closes: date, base_url: str, per_partner: int = 1,
              extra: int = 0, today: date | None = None, lang: str = "fr") -> list[tuple[Link, str]]:
    """Open a questionnaire wave: create the personal links, in one transaction.

    Parameters
    ----------
    store
        The evaluation store.
    territory_id, wave
        The territory (in the store) and the wave number (1 to 99) never opened before.
    closes
        The last day answers are taken; not before ``today``.
    base_url
        The partners' server address (``https://…``); links are ``{base_url}/q/{token}``.
    per_partner
        Links per partner of the territory (several people of one structure).
    extra
        Links tied to no partner.
    today
        The day of opening (default: the clock's).
    lang
        Language of the messages.

    Returns
    -------
    list of (Link, str)
        Each link with its token: shown once, never stored. Partners in id order, each
        partner's links together, then the extra links.

    Raises
    ------
    UnknownTerritoryError, CampaignError
        An unknown territory, a wave out of range or already opened, a closing date in the
        past, a malformed address, no link to create; nothing is written.
    """
    day = today or date.today()
    store.require_territory(territory_id, lang)
    if not 1 <= int(wave) <= 99:
        raise CampaignError(t("campaigns.bad_wave", lang, wave=wave))
    if closes < day:
        raise CampaignError(t("campaigns.closes_past", lang, date=format_date(closes, lang),
                              today=format_date(day, lang)))
    if per_partner < 0 or extra < 0:
        raise CampaignError(t("campaigns.bad_count", lang))
    base = _check_base_url(base_url, lang)
    partners = store.load(["partners"], territories=[territory_id])["partners"]["partner_id"].tolist()
    wanted = [p for p in partners for _ in range(per_partner)] + [None] * extra
    if not wanted:
        raise CampaignError(t("campaigns.no_link", lang, territory=territory_id))

    def work(con: sqlite3.Connection) -> list[tuple[Link, str]]:
        found = _campaign(con, territory_id, int(wave))
        if found is not None:
            key = "campaigns.wave_closed" if found[2] else "campaigns.wave_open"
            raise CampaignError(t(key, lang, territory=territory_id, wave=wave,
                                  date=format_date(date.fromisoformat(found[0]), lang)))
        con.execute('INSERT INTO "campaigns" (territory_id, wave, closes, base_url, opened_at) VALUES (?, ?, ?, ?, ?)',
                    (territory_id, int(wave), closes.isoformat(), base, _now()))
        return _new_links(con, territory_id, int(wave), closes, wanted)

    return store._write(work)


def wave_closes(store: Store, territory_id: str, wave: int) -> tuple[date, str, bool] | None:
    """The wave's closing date, base address and whether it was closed; ``None`` if never opened."""
    with store._reading() as con:
        found = _campaign(con, territory_id, int(wave))
    return None if found is None else (date.fromisoformat(found[0]), found[1], found[2] is not None)


def check_wave(store: Store, territory_id: str, wave: int | None = None, *, lang: str = "fr") -> int:
    """``wave`` if it was opened, or else the territory's only wave not closed; :class:`CampaignError` otherwise."""
    store.require_territory(territory_id, lang)
    with store._reading() as con:
        waves = con.execute('SELECT wave, closed_at FROM "campaigns" WHERE territory_id = ? ORDER BY wave',
                            (territory_id,)).fetchall()
    if wave is not None:
        if int(wave) not in {w for w, _ in waves}:
            raise CampaignError(t("campaigns.wave_unknown", lang, territory=territory_id, wave=wave))
        return int(wave)
    still_open = [w for w, closed in waves if closed is None]
    if len(still_open) != 1:
        key = "campaigns.no_open_wave" if not still_open else "campaigns.which_wave"
        raise CampaignError(t(key, lang, territory=territory_id, waves=", ".join(map(str, still_open))))
    return still_open[0]


def cancel_wave(store: Store, territory_id: str, wave: int) -> None:
    """Forget a wave just opened whose links could not be handed out (its files failed).

    Only a wave none of whose links was opened can be forgotten: its tokens were never seen.
    """
    def work(con: sqlite3.Connection) -> None:
        used = con.execute('SELECT COUNT(*) FROM "invitations" WHERE territory_id = ? AND wave = ? '
                           "AND (opened_at IS NOT NULL OR answered_at IS NOT NULL)", (territory_id, wave)).fetchone()[0]
        if used:
            raise CampaignError(t("campaigns.changed_meanwhile", store.lang))
        con.execute('DELETE FROM "invitations" WHERE territory_id = ? AND wave = ?', (territory_id, wave))
        con.execute('DELETE FROM "campaigns" WHERE territory_id = ? AND wave = ?', (territory_id, wave))

    store._write(work)


def close_wave(store: Store, territory_id: str, wave: int | None = None, *, lang: str = "fr") -> int:
    """Close a wave (default: the territory's only open wave); return the number of links closed.

    Its links stop taking answers; a wave already closed is refused (nothing changes).
    """
    wave = check_wave(store, territory_id, wave, lang=lang)

    def work(con: sqlite3.Connection) -> int:
        if _campaign(con, territory_id, wave)[2] is not None:
            raise CampaignError(t("campaigns.already_closed", lang, territory=territory_id, wave=wave))
        con.execute('UPDATE "campaigns" SET closed_at = ? WHERE territory_id = ? AND wave = ?',
                    (_now(), territory_id, wave))
        return con.execute("""UPDATE "invitations" SET state = 'closed'
                              WHERE territory_id = ? AND wave = ? AND state = 'open'""",
                           (territory_id, wave)).rowcount

    return store._write(work)


def revoke_link(store: Store, territory_id: str, *, invitation_id: str | None = None, partner_id: str | None = None,
                wave: int | None = None, today: date | None = None, lang: str = "fr") -> list[Link]:
    """Disable one link (by invitation id) or every open link of one partner in the wave.

    Returns the links revoked. An unknown link, or a partner without an open link, is
    refused with :class:`CampaignError` and nothing changes.
    """
    if (invitation_id is None) == (partner_id is None):
        raise ValueError("give either invitation_id or partner_id")
    day = today or date.today()
    wave = check_wave(store, territory_id, wave, lang=lang)
    chosen = [link for link in links(store, territory_id, wave, today=day)
              if link.state in ("open", "expired")
              and (link.invitation_id == invitation_id if invitation_id is not None else link.partner_id == partner_id)]
    if not chosen:
        key = "campaigns.revoke_unknown_link" if invitation_id is not None else "campaigns.revoke_unknown_partner"
        raise CampaignError(t(key, lang, territory=territory_id, wave=wave, link=invitation_id, partner=partner_id))
    now = _now()

    def work(con: sqlite3.Connection) -> None:
        con.executemany("""UPDATE "invitations" SET state = 'revoked', revoked_at = ?
                           WHERE invitation_id = ? AND state = 'open'""",
                        [(now, link.invitation_id) for link in chosen])

    store._write(work)
    return [replace(link, state="revoked") for link in chosen]


def reissue_links(store: Store, territory_id: str, wave: int | None = None, *, today: date | None = None,
                  lang: str = "fr") -> tuple[str, list[tuple[Link, str]]]:
    """Replace every open, unanswered link of the wave by a new one (one transaction).

    The tokens are not stored, so a reminder cannot show the old links again: each such
    link is revoked and a new link is made for the same partner (or for none), with a new
    respondent id. Returns the wave's base address and the new links with their tokens.
    """
    day = today or date.today()
    wave = check_wave(store, territory_id, wave, lang=lang)
    closes, base, closed = wave_closes(store, territory_id, wave)
    if closed or closes < day:
        raise CampaignError(t("campaigns.already_closed", lang, territory=territory_id, wave=wave))
    old = [link for link in links(store, territory_id, wave, today=day) if link.is_open and link.answered is None]
    now = _now()

    def work(con: sqlite3.Connection) -> list[tuple[Link, str]]:
        revoked = 0
        for link in old:
            revoked += con.execute("""UPDATE "invitations" SET state = 'revoked', revoked_at = ?
                                      WHERE invitation_id = ? AND state = 'open' AND answered_at IS NULL""",
                                   (now, link.invitation_id)).rowcount
        if revoked != len(old):  # a partner answered meanwhile: start again with what is left
            raise CampaignError(t("campaigns.changed_meanwhile", lang))
        return _new_links(con, territory_id, wave, closes, [link.partner_id for link in old])

    return base, store._write(work)


# ----------------------------------------------------------------- follow-up
def campaign_status(store: Store, territory_id: str, wave: int | None = None, *,
                    today: date | None = None) -> pd.DataFrame:
    """Invited, opened and answered counts per wave and partner (never the answers).

    Returns
    -------
    DataFrame
        :data:`STATUS_COLUMNS`: ``wave``, ``partner_id``, ``partner_name``, ``kind`` (the
        partner's kind code), ``invited`` (links not revoked), ``opened`` (of those, opened
        at least once), ``answered`` (of those, with answers stored). One row per partner
        invited in the wave, in id order, then one row for the links tied to no partner
        (``partner_id``, ``partner_name`` and ``kind`` missing), if any.
    """
    store.require_territory(territory_id, store.lang)
    partners = store.load(["partners"], territories=[territory_id])["partners"].set_index("partner_id")
    rows: dict[tuple[int, str | None], list[int]] = {}
    for link in links(store, territory_id, wave, today=today):
        if link.state == "revoked":
            continue
        counts = rows.setdefault((link.wave, link.partner_id), [0, 0, 0])
        counts[0] += 1
        counts[1] += link.opened is not None
        counts[2] += link.answered is not None
    records = []
    for (link_wave, partner), (invited, opened, answered) in rows.items():
        known = partner is not None and partner in partners.index
        records.append({"wave": link_wave, "partner_id": partner,
                        "partner_name": partners.at[partner, "name"] if known else None,
                        "kind": partners.at[partner, "kind"] if known else None,
                        "invited": invited, "opened": opened, "answered": answered})
    frame = pd.DataFrame(records, columns=STATUS_COLUMNS)
    frame = frame.astype({"wave": "int64", "partner_id": "str", "partner_name": "str", "kind": "str",
                          "invited": "int64", "opened": "int64", "answered": "int64"})
    return frame


def status_by_kind(status: pd.DataFrame) -> pd.DataFrame:
    """:func:`campaign_status` summed per wave and partner kind (links tied to no partner: kind missing).

    Kinds in the order of the schema's list; the links tied to no partner last.
    """
    order = {code.id: i for i, code in enumerate(CODES["partner_kind"])}
    counted = status.assign(_order=status["kind"].map(lambda k: order.get(k, len(order))))
    grouped = (counted.groupby(["wave", "_order"], dropna=False, sort=True)
               .agg(kind=("kind", "first"), invited=("invited", "sum"), opened=("opened", "sum"),
                    answered=("answered", "sum"))
               .reset_index().drop(columns="_order"))
    return grouped.astype({"kind": "str"})
