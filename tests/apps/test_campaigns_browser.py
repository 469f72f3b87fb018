"""The printable invitation cards in Debian's chromium: two cards per A4 page, nothing fetched."""

from __future__ import annotations

import io
from datetime import date

import pytest
from campaign_support import small_store
from pypdf import PdfReader

from collective_impact.apps import campaigns, invitations

pytestmark = pytest.mark.browser


def test_cards_print_two_per_a4_page_and_fetch_nothing(browser, tmp_path):
    store = small_store(tmp_path / "evaluation.sqlite")
    # 3 partners + 2 open links = 5 cards: 3 pages
    made = campaigns.open_wave(store, "NORD", 1, closes=date(2027, 3, 31), base_url="https://e.example", extra=2,
                               today=date(2027, 1, 1))
    partners = store.load(["partners"], territories=["NORD"])["partners"]
    rows = invitations.invitations(made, partners, base_url="https://e.example")
    path = invitations.write_cards(tmp_path / "invitations.html", rows, territory_name="Quartier Nord", wave=1,
                                   closes=date(2027, 3, 31))
    page = browser.new_page()
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(path.as_uri())
    assert page.locator(".card svg").count() == 5
    assert page.locator(".card").first.inner_text().count("Mairie de Nord") == 1
    pdf = PdfReader(io.BytesIO(page.pdf(format="A4")))
    page.close()
    assert len(pdf.pages) == 3
    assert requests == [path.as_uri()]  # the page itself, nothing else
