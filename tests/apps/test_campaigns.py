"""Questionnaire campaigns: links, their states, answers and comments, the follow-up counts.

On the small hand-made store of ``campaign_support`` (NORD: two mairies and a CAF), so
that every expected count is written down by hand.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from datetime import date

import pandas as pd
import pytest
from campaign_support import dump, small_store
from pandas.testing import assert_frame_equal

from collective_impact.apps import campaigns
from collective_impact.apps.submit import typed_frame
from collective_impact.errors import CampaignError, InputError, UnknownTerritoryError
from collective_impact.store import Store
from collective_impact.tokens import new_token, token_hash

OPENED = date(2027, 1, 10)
CLOSES = date(2027, 3, 31)
BASE = "https://evaluation.example.fr"


@pytest.fixture
def small(tmp_path) -> Store:
    return small_store(tmp_path / "evaluation.sqlite")


def stored_hashes(store: Store) -> list[str]:
    with closing(sqlite3.connect(store.path)) as con:
        return [h for (h,) in con.execute('SELECT token_hash FROM "invitations"')]


def answers(**scores: int | None) -> pd.DataFrame:
    return pd.DataFrame({"item_id": list(scores), "score": pd.array(list(scores.values()), dtype="Int64")})


def test_open_wave_makes_links_and_stores_only_hashes(small):
    made = campaigns.open_wave(small, "NORD", 3, closes=CLOSES, base_url=BASE + "/", per_partner=2, extra=1,
                               today=OPENED)
    # 3 partners x 2 + 1 open link
    assert len(made) == 7
    assert [link.partner_id for link, _ in made] == ["P1", "P1", "P2", "P2", "P3", "P3", None]
    tokens = [token for _, token in made]
    assert len(set(tokens)) == 7
    hashes = stored_hashes(small)
    assert sorted(hashes) == sorted(token_hash(tok) for tok in tokens)
    assert not any(tok in repr(dump(small)) for tok in tokens)  # no token in clear anywhere in the file
    respondents = [link.respondent for link, _ in made]
    assert len(set(respondents)) == 7
    assert not any("Mairie" in r or "CAF" in r for r in respondents)
    assert all(link.state == "open" and link.closes == CLOSES and link.wave == 3 for link, _ in made)
    assert campaigns.link_url(BASE + "/", tokens[0]) == f"{BASE}/q/{tokens[0]}"


def test_resolve_link(small):
    made = campaigns.open_wave(small, "NORD", 1, closes=CLOSES, base_url=BASE, today=OPENED)
    link, token = made[1]
    found = campaigns.resolve_link(small, token, today=OPENED)
    assert found == link
    assert campaigns.resolve_link(small, new_token(), today=OPENED) is None  # well formed, unknown
    for bad in ("", "abc", token + "x", token[:-1] + "!", None, 42, "' OR 1=1 --"):
        assert campaigns.resolve_link(small, bad, today=OPENED) is None
    # the day after the closing date the same link is expired
    assert campaigns.resolve_link(small, token, today=date(2027, 4, 1)).state == "expired"
    assert campaigns.resolve_link(small, token, today=CLOSES).state == "open"


def test_mark_opened_keeps_the_first_time(small):
    link, token = campaigns.open_wave(small, "NORD", 1, closes=CLOSES, base_url=BASE, today=OPENED)[0]
    first = campaigns.mark_opened(small, link)
    assert first.opened is not None
    again = campaigns.mark_opened(small, campaigns.resolve_link(small, token, today=OPENED))
    assert again.opened == first.opened
    assert campaigns.resolve_link(small, token, today=OPENED).opened == first.opened


def before_of(rows: list[dict], item: str) -> dict:
    return next(row for row in rows if row.get("item_id") == item)


def test_record_answers_last_answers_count(small):
    made = campaigns.open_wave(small, "NORD", 2, closes=CLOSES, base_url=BASE, today=OPENED)
    link, token = made[0]
    link = campaigns.resolve_link(small, token, today=OPENED)
    assert campaigns.record_answers(small, link, answers(agenda_1=4, agenda_2=None), {"agenda": "Un exemple"},
                                    today=date(2027, 1, 12)) == 2
    assert campaigns.record_answers(small, link, answers(agenda_1=2, mesure_1=5), {"mesure": "  Autre\nligne "},
                                    today=date(2027, 1, 15)) == 2
    responses = small.load(["responses"], territories=["NORD"])["responses"]
    expected = typed_frame("responses", [
        {"territory_id": "NORD", "wave": 2, "respondent_id": link.respondent, "partner_id": "P1", "item_id": item,
         "score": score, "answered_on": date(2027, 1, 15)}
        for item, score in (("agenda_1", 2), ("mesure_1", 5))
    ])
    assert_frame_equal(responses.reset_index(drop=True), expected)
    comments = small.load(["comments"], territories=["NORD"])["comments"]
    assert comments[["condition", "text"]].values.tolist() == [["mesure", "Autre\nligne"]]
    assert comments["respondent_id"].tolist() == [link.respondent]
    assert campaigns.resolve_link(small, token, today=OPENED).answered is not None
    # the earlier answers are kept in the audit trail, written in the link's name
    trail = small.audit("NORD")
    mine = trail[trail["table"].isin(["responses", "comments"])]
    assert set(mine["who"]) == {f"lien {link.invitation_id}"}
    before = [json.loads(b) for b in mine["before"].dropna()]
    assert {"item_id": "agenda_1", "score": 4} .items() <= before_of(before, "agenda_1").items()
    assert any(b.get("text") == "Un exemple" for b in before)


def test_record_answers_refused_when_link_not_open(small):
    made = campaigns.open_wave(small, "NORD", 1, closes=CLOSES, base_url=BASE, today=OPENED)
    (revoked, _), (expired, _), (closed_later, _) = made
    campaigns.revoke_link(small, "NORD", invitation_id=revoked.invitation_id, today=OPENED)
    before = dump(small)
    with pytest.raises(CampaignError, match="désactivé"):
        campaigns.record_answers(small, revoked, answers(agenda_1=3), {}, today=OPENED)
    with pytest.raises(CampaignError, match="01/04/2027|31 mars 2027|clôture dépassée"):
        campaigns.record_answers(small, expired, answers(agenda_1=3), {}, today=date(2027, 4, 1))
    campaigns.close_wave(small, "NORD", 1)
    after_close = dump(small)
    with pytest.raises(CampaignError, match="close"):
        campaigns.record_answers(small, closed_later, answers(agenda_1=3), {}, today=OPENED)
    assert dump(small) == after_close
    assert before["responses"] == after_close["responses"] == []


def test_record_answers_bad_input_writes_nothing(small):
    link, _ = campaigns.open_wave(small, "NORD", 1, closes=CLOSES, base_url=BASE, today=OPENED)[0]
    before = dump(small)
    with pytest.raises(InputError):
        campaigns.record_answers(small, link, answers(agenda_1=9), {}, today=OPENED)
    with pytest.raises(InputError):
        campaigns.record_answers(small, link, answers(agenda_1=3), {"inconnue": "texte"}, today=OPENED)
    with pytest.raises(InputError):
        campaigns.record_answers(small, link, answers(pas_une_question=3), {}, today=OPENED)
    with pytest.raises(CampaignError, match="aucune réponse"):
        campaigns.record_answers(small, link, answers(), {"agenda": "seulement un commentaire"}, today=OPENED)
    assert dump(small) == before


def test_open_wave_refusals_change_nothing(small):
    campaigns.open_wave(small, "NORD", 1, closes=CLOSES, base_url=BASE, today=OPENED)
    before = dump(small)
    cases = [
        (UnknownTerritoryError, dict(territory_id="EST", wave=2, closes=CLOSES, base_url=BASE)),
        (CampaignError, dict(territory_id="NORD", wave=2, closes=date(2027, 1, 9), base_url=BASE)),
        (CampaignError, dict(territory_id="NORD", wave=1, closes=CLOSES, base_url=BASE)),
        (CampaignError, dict(territory_id="NORD", wave=2, closes=CLOSES, base_url="evaluation.example.fr")),
        (CampaignError, dict(territory_id="NORD", wave=2, closes=CLOSES, base_url=BASE + "/?x=1")),
        (CampaignError, dict(territory_id="NORD", wave=0, closes=CLOSES, base_url=BASE)),
    ]
    for error, kwargs in cases:
        with pytest.raises(error):
            campaigns.open_wave(small, kwargs.pop("territory_id"), kwargs.pop("wave"), today=OPENED, **kwargs)
    with pytest.raises(CampaignError, match="déjà ouverte"):
        campaigns.open_wave(small, "NORD", 1, closes=CLOSES, base_url=BASE, today=OPENED)
    with pytest.raises(CampaignError, match="aucun partenaire"):
        campaigns.open_wave(small, "NORD", 2, closes=CLOSES, base_url=BASE, per_partner=0, today=OPENED)
    assert dump(small) == before


def test_links_open_their_own_territory_only(small):
    nord = campaigns.open_wave(small, "NORD", 1, closes=CLOSES, base_url=BASE, today=OPENED)
    sud = campaigns.open_wave(small, "SUD", 1, closes=CLOSES, base_url=BASE, today=OPENED)
    assert {campaigns.resolve_link(small, tok, today=OPENED).territory_id for _, tok in nord} == {"NORD"}
    assert campaigns.resolve_link(small, sud[0][1], today=OPENED).territory_id == "SUD"
    # a link object claiming another territory is refused: the store is read again
    forged = campaigns.Link(nord[0][0].invitation_id, "SUD", 1, "S1", nord[0][0].respondent, "open", CLOSES)
    with pytest.raises(CampaignError):
        campaigns.record_answers(small, forged, answers(agenda_1=3), {}, today=OPENED)
    assert small.load(["responses"])["responses"].empty


def test_status_counts_by_partner_and_kind(small):
    made = campaigns.open_wave(small, "NORD", 1, closes=CLOSES, base_url=BASE, per_partner=2, extra=1, today=OPENED)
    by_partner = {}
    for link, token in made:
        by_partner.setdefault(link.partner_id, []).append((link, token))
    # P1: both opened, one answered; P2: one opened; P3: nothing, one link revoked; open link: answered
    for link, _ in by_partner["P1"]:
        campaigns.mark_opened(small, link)
    campaigns.record_answers(small, by_partner["P1"][0][0], answers(agenda_1=4), {}, today=OPENED)
    campaigns.mark_opened(small, by_partner["P2"][0][0])
    campaigns.revoke_link(small, "NORD", invitation_id=by_partner["P3"][1][0].invitation_id, today=OPENED)
    campaigns.mark_opened(small, by_partner[None][0][0])
    campaigns.record_answers(small, by_partner[None][0][0], answers(pivot_1=5), {}, today=OPENED)

    status = campaigns.campaign_status(small, "NORD")
    expected = pd.DataFrame({
        "wave": [1, 1, 1, 1],
        "partner_id": ["P1", "P2", "P3", None],
        "partner_name": ["Mairie de Nord", "CAF", "Mairie annexe", None],
        "kind": ["mairie", "caf", "mairie", None],
        "invited": [2, 2, 1, 1], "opened": [2, 1, 0, 1], "answered": [1, 0, 0, 1],
    }).astype({"partner_id": "str", "partner_name": "str", "kind": "str"})
    assert_frame_equal(status, expected)
    kinds = campaigns.status_by_kind(status)
    expected_kinds = pd.DataFrame({
        "wave": [1, 1, 1], "kind": ["mairie", "caf", None],
        "invited": [3, 2, 1], "opened": [2, 1, 1], "answered": [1, 0, 1],
    }).astype({"kind": "str"})
    assert_frame_equal(kinds, expected_kinds)
    assert "score" not in status.columns


def test_revoke_and_close(small):
    made = campaigns.open_wave(small, "NORD", 1, closes=CLOSES, base_url=BASE, per_partner=2, today=OPENED)
    revoked = campaigns.revoke_link(small, "NORD", partner_id="P2", today=OPENED)
    assert sorted(link.invitation_id for link in revoked) == sorted(
        link.invitation_id for link, _ in made if link.partner_id == "P2")
    p2_tokens = [tok for link, tok in made if link.partner_id == "P2"]
    assert {campaigns.resolve_link(small, tok, today=OPENED).state for tok in p2_tokens} == {"revoked"}
    before = dump(small)
    with pytest.raises(CampaignError, match="aucun lien actif"):
        campaigns.revoke_link(small, "NORD", partner_id="P2", today=OPENED)
    with pytest.raises(CampaignError, match="Lxxxx"):
        campaigns.revoke_link(small, "NORD", invitation_id="Lxxxx", today=OPENED)
    assert dump(small) == before
    # 6 links, 2 revoked: 4 closed
    assert campaigns.close_wave(small, "NORD") == 4
    states = [campaigns.resolve_link(small, tok, today=OPENED).state for _, tok in made]
    assert sorted(states) == ["closed"] * 4 + ["revoked"] * 2
    before = dump(small)
    with pytest.raises(CampaignError, match="déjà close"):
        campaigns.close_wave(small, "NORD", 1)
    with pytest.raises(CampaignError, match="aucune vague"):
        campaigns.close_wave(small, "NORD")
    assert dump(small) == before


def test_reissue_replaces_unanswered_links(small):
    made = campaigns.open_wave(small, "NORD", 1, closes=CLOSES, base_url=BASE, today=OPENED)
    answered_link = made[0][0]
    campaigns.record_answers(small, answered_link, answers(agenda_1=4), {}, today=OPENED)
    base, fresh = campaigns.reissue_links(small, "NORD", today=OPENED)
    assert base == BASE
    assert [link.partner_id for link, _ in fresh] == ["P2", "P3"]
    old_tokens = [tok for _, tok in made]
    assert campaigns.resolve_link(small, old_tokens[0], today=OPENED).state == "open"  # answered: kept
    assert {campaigns.resolve_link(small, tok, today=OPENED).state for tok in old_tokens[1:]} == {"revoked"}
    assert {campaigns.resolve_link(small, tok, today=OPENED).state for _, tok in fresh} == {"open"}
    status = campaigns.campaign_status(small, "NORD")
    assert status["invited"].tolist() == [1, 1, 1]


def test_link_messages_say_why(small):
    link, token = campaigns.open_wave(small, "NORD", 1, closes=CLOSES, base_url=BASE, today=OPENED)[0]
    assert "n'existe pas" in campaigns.link_message(None)
    assert "31 mars 2027" in campaigns.link_message(campaigns.resolve_link(small, token, today=OPENED))
    expired = campaigns.resolve_link(small, token, today=date(2027, 4, 1))
    assert "plus de réponses depuis le 31 mars 2027" in campaigns.link_message(expired)
    assert "no longer takes answers" in campaigns.link_message(expired, "en")


def test_answers_comments_and_mark_are_one_transaction(small, monkeypatch):
    """A link revoked between the check and the write takes nothing: no answer, no comment, no mark."""
    link, token = campaigns.open_wave(small, "NORD", 1, closes=CLOSES, base_url=BASE, today=OPENED)[0]
    link = campaigns.resolve_link(small, token, today=OPENED)
    campaigns.revoke_link(small, "NORD", invitation_id=link.invitation_id, today=OPENED)
    before = dump(small)
    # the early check is passed as if the revocation came just after it
    monkeypatch.setattr(campaigns, "_refuse_unless_open", lambda store, link, today, lang: link)
    with pytest.raises(CampaignError, match="désactivé"):
        campaigns.record_answers(small, link, answers(agenda_1=3), {"agenda": "un mot"}, today=OPENED)
    assert dump(small) == before
