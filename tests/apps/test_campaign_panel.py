"""The campaign section of the home page: open a wave, its files, follow-up, reminders, revoke, close.

On the small hand-made store of ``campaign_support`` (NORD: P1 and P3 mairies, P2 a CAF;
SUD: S1 a centre social), so that every expected count is written down by hand. The files
offered are read back from the page's ``data:`` links, the tokens from the CSV's links.
"""

from __future__ import annotations

import base64
import csv
import html
import io
import re
from datetime import date

import pytest
from campaign_support import dump, small_store, small_tables

from collective_impact.apps import campaigns
from collective_impact.apps.campaign_panel import CampaignPanel
from collective_impact.apps.home import HomeApp

TODAY = date(2027, 1, 10)
CLOSES = date(2027, 3, 31)
BASE = "https://evaluation.example.fr"


@pytest.fixture
def small(tmp_path):
    return small_store(tmp_path / "evaluation.sqlite")


def offered(value: str) -> dict[str, bytes]:
    """File name → bytes of every download link in ``value`` (the page's HTML)."""
    found = re.findall(r'download="([^"]+)" href="data:[^;"]+(?:;charset=utf-8)?;base64,([^"]+)"', value)
    return {name: base64.b64decode(data) for name, data in found}


def csv_rows(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # the byte order mark French Excel needs
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


def token_of(row: dict[str, str]) -> str:
    url = row["Lien personnel"]
    assert url.startswith(f"{BASE}/q/")
    return url.rsplit("/q/", 1)[1]


def visible(value: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", value)).split())


def table_rows(value: str, css: str) -> list[list[str]]:
    """The body rows of the table of class ``css`` in ``value``, as their cells' texts."""
    table = re.search(rf'<table class="{css}"[^>]*>(.*?)</table>', value, re.S).group(1)
    body = table.split("<tbody>", 1)[1]
    return [[html.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row)]
            for row in re.findall(r"<tr>(.*?)</tr>", body)]


def opened_panel(store, *, per_partner=1, extra=0, lang="fr") -> CampaignPanel:
    panel = CampaignPanel(store, lang=lang, today=TODAY)
    panel.territory.value = "NORD"
    panel.closes.value = CLOSES
    panel.base_url.value = BASE + "/"
    panel.per_partner.value, panel.extra.value = per_partner, extra
    assert panel.open_wave(), panel.open_status.value
    return panel


def test_open_a_wave_offers_the_files_of_the_links_in_the_store(small):
    panel = CampaignPanel(small, today=TODAY)
    assert panel.open_button.disabled  # no territory chosen yet
    panel.territory.value = "NORD"
    assert panel.wave_number.value == 1  # the next wave
    assert "Aucune vague" in visible(panel.overview.value)
    panel.closes.value = CLOSES
    panel.base_url.value = BASE + "/"
    panel.per_partner.value, panel.extra.value = 2, 1
    assert panel.open_wave()

    files = offered(panel.open_status.value)
    assert sorted(files) == ["invitations.csv", "invitations.html"]
    assert dict(panel.files) == files
    rows = csv_rows(files["invitations.csv"])
    stored = campaigns.links(small, "NORD", 1, today=TODAY)
    # two links for each of the three partners, one open link
    assert len(rows) == len(stored) == 7
    assert [r["Partenaire"] for r in rows] == ["P1", "P1", "P2", "P2", "P3", "P3", ""]
    assert {r["Lien n°"] for r in rows} == {link.invitation_id for link in stored}
    for row in rows:
        link = campaigns.resolve_link(small, token_of(row), today=TODAY)
        assert link is not None and link.invitation_id == row["Lien n°"] and link.state == "open"
        assert row["Clôture"] == "2027-03-31"
    cards = files["invitations.html"].decode("utf-8")
    assert all(html.escape(r["Lien personnel"]) in cards for r in rows)
    text = visible(panel.open_status.value)
    assert "Vague 1 du territoire NORD ouverte jusqu'au 31 mars 2027 inclus : 7 liens." in text
    assert "téléchargez-les maintenant, ils ne pourront pas être recréés" in text

    # the follow-up, per partner then per kind (two mairies, a CAF, the open link)
    assert table_rows(panel.overview.value, "ci-campaign-status") == [
        ["P1", "Mairie de Nord", "Mairie / commune", "2", "0", "0"],
        ["P2", "CAF", "CAF", "2", "0", "0"],
        ["P3", "Mairie annexe", "Mairie / commune", "2", "0", "0"],
        ["—", "Lien non nominatif", "—", "1", "0", "0"],
    ]
    assert table_rows(panel.overview.value, "ci-campaign-kinds") == [
        ["Mairie / commune", "4", "0", "0"], ["CAF", "2", "0", "0"], ["Lien non nominatif", "1", "0", "0"],
        ["Total", "7", "0", "0"]]
    assert panel.wave_number.value == 2
    assert panel.base_url.value == BASE  # kept for the next wave, as stored
    # a new page offers the address of the territory's last wave
    again = CampaignPanel(small, today=TODAY)
    again.territory.value = "NORD"
    assert again.base_url.value == BASE and again.wave_number.value == 2


@pytest.mark.parametrize(("field", "value", "message"), [
    ("closes", date(2027, 1, 9),
     "La date de clôture 9 janvier 2027 est déjà passée (nous sommes le 10 janvier 2027). Choisissez une date à venir."),
    ("base_url", "evaluation.example.fr?x=1", "Adresse du serveur des partenaires incorrecte"),
    ("closes", None, "Choisissez la date de clôture de la vague."),
])
def test_a_refused_opening_says_why_and_changes_nothing(small, field, value, message):
    panel = CampaignPanel(small, today=TODAY)
    panel.territory.value = "NORD"
    panel.closes.value, panel.base_url.value = CLOSES, BASE
    getattr(panel, field).value = value
    before = dump(small)
    assert not panel.open_wave()
    assert 'ci-banner-error' in panel.open_status.value and message in visible(panel.open_status.value)
    assert offered(panel.open_status.value) == {}
    assert dump(small) == before
    assert not panel.open_button.disabled  # the button is given back


def test_a_wave_already_open_is_refused(small):
    panel = opened_panel(small)
    panel.wave_number.value = 1
    before = dump(small)
    assert not panel.open_wave()
    assert "ci-banner-error" in panel.open_status.value
    assert dump(small) == before


def test_revoke_asks_then_disables_the_link(small):
    panel = opened_panel(small)
    assert panel.actions.layout.display is None
    target = panel.link.options[1][1]
    assert panel.link.options[1][0].startswith(f"{target} — CAF (P2)")
    panel.link.value = target
    panel.ask_revoke()
    assert panel.revoke_confirm.box.layout.display is None
    assert target in visible(panel.revoke_confirm.text.value)
    panel.revoke_confirm.answer(False)  # cancelled: nothing changes
    assert [link.state for link in campaigns.links(small, "NORD", 1, today=TODAY)] == ["open"] * 3
    panel.ask_revoke()
    assert panel.revoke_confirm.answer(True)
    states = {link.invitation_id: link.state for link in campaigns.links(small, "NORD", 1, today=TODAY)}
    assert states[target] == "revoked" and sorted(states.values()) == ["open", "open", "revoked"]
    assert target not in dict((v, k) for k, v in panel.link.options)
    assert [r[0] for r in table_rows(panel.overview.value, "ci-campaign-status")] == ["P1", "P3"]
    assert "Désactivation faite : 1 lien" in visible(panel.revoke_status.value)
    assert offered(panel.open_status.value)  # the invitations stay offered
    # a link revoked meanwhile (another page) is refused with the campaign's message
    before = dump(small)
    assert not panel.revoke(target)
    assert "ci-banner-error" in panel.revoke_status.value and target in visible(panel.revoke_status.value)
    assert dump(small) == before


def test_close_names_who_answered_then_closes(small):
    panel = opened_panel(small)
    first = campaigns.links(small, "NORD", 1, today=TODAY)[0]
    campaigns.mark_opened(small, first)
    panel.refresh()
    assert table_rows(panel.overview.value, "ci-campaign-status")[0][3:] == ["1", "1", "0"]
    panel.ask_close()
    assert "Clôturer la vague 1 ? 0 sur 3 liens ont reçu une réponse" in visible(panel.close_confirm.text.value)
    assert panel.close_confirm.answer(True)
    assert campaigns.wave_closes(small, "NORD", 1)[2] is True
    assert {link.state for link in campaigns.links(small, "NORD", 1, today=TODAY)} == {"closed"}
    assert "Vague 1 : close" in visible(panel.overview.value)
    assert panel.close_button.disabled
    before = dump(small)
    assert not panel.close()  # closed twice: refused, said beside the action
    assert "ci-banner-error" in panel.close_status.value
    assert dump(small) == before


def test_reissue_gives_new_working_links_and_disables_the_old_ones(small):
    panel = opened_panel(small, extra=1)
    old = csv_rows(offered(panel.open_status.value)["invitations.csv"])
    assert "Encore sans réponse : 4 liens" in visible(panel.pending.value)
    assert [r[0] for r in table_rows(panel.pending.value, "ci-campaign-pending")] == ["P1", "P2", "P3", "—"]
    assert panel.reissue()
    files = offered(panel.reissue_status.value)
    assert sorted(files) == ["relances.csv", "relances.html"]
    new = csv_rows(files["relances.csv"])
    assert [r["Partenaire"] for r in new] == ["P1", "P2", "P3", ""]
    assert {r["Lien n°"] for r in new}.isdisjoint({r["Lien n°"] for r in old})
    for row in new:
        link = campaigns.resolve_link(small, token_of(row), today=TODAY)
        assert link is not None and link.state == "open" and link.invitation_id == row["Lien n°"]
    for row in old:
        assert campaigns.resolve_link(small, token_of(row), today=TODAY).state == "revoked"
    assert "Remplacés par de nouveaux liens" in visible(panel.reissue_status.value)
    assert table_rows(panel.overview.value, "ci-campaign-kinds")[-1] == ["Total", "4", "0", "0"]


def test_in_english_and_data_escaped(tmp_path):
    tables = small_tables()
    hostile = "<img src=x onerror=alert(1)>"
    tables["partners"].loc[tables["partners"]["partner_id"] == "P2", "name"] = hostile
    store = small_store(tmp_path / "evaluation.sqlite", tables)
    panel = opened_panel(store, lang="en")
    page = panel.box.children[0].value + panel.overview.value + panel.pending.value + panel.open_status.value
    assert "Questionnaire campaigns" in page and "Wave 1 of territory NORD open until" in visible(page)
    assert "download them now, they cannot be made again" in visible(page)
    assert hostile not in page and html.escape(hostile) in page
    assert ["P2", hostile, "Family allowance fund (CAF)", "1", "0", "0"] in table_rows(panel.overview.value, "ci-campaign-status")


def test_a_territory_removed_meanwhile_is_said_not_raised(small):
    panel = opened_panel(small)
    small.remove_territory("NORD", who="test")
    panel.show()
    assert "ci-banner-error" in panel.overview.value and "NORD" in visible(panel.overview.value)
    assert panel.open_button.disabled and panel.actions.layout.display == "none"


def test_the_home_page_has_the_section(small, tmp_path):
    home = HomeApp(small, reports_dir=tmp_path / "rapports", base_url="/")
    assert home.campaigns.box in home.widget.children
    assert [value for _, value in home.campaigns.territory.options] == ["", "NORD", "SUD"]
