"""A partner's personal link in a real browser (Debian's chromium driven by Playwright), on the
plain Voila server of the ``apps`` fixture with ``?lien=TOKEN``: answer, open the same link
again, find the answers pre-filled, change one, send; after the close, the results. (The partners' server, which refuses
bad links before any kernel starts, is tested with the servers.)"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pandas as pd
import pytest
from support import Relay, page_kernel, stop_kernel, telling

from collective_impact.apps.campaigns import close_wave, open_wave, resolve_link
from collective_impact.apps.server import app_url
from collective_impact.framework import load_framework
from collective_impact.i18n.format import clean_text

#: The apps this module opens: only their kernels are preheated (conftest.py: ``apps``).
OPENED_APPS = ("questionnaire",)
FW = load_framework()
LABELS = [f"{i} – {label}" for i, label in enumerate(FW.scale_labels["fr"], start=1)]
DONT_KNOW = FW.dont_know("fr")
TERRITORY = "QPV-NORD"


def label_for(number: int) -> str:
    return DONT_KNOW if number % 7 == 0 else LABELS[number % 5]


def stored(store, respondent: str) -> dict[str, int | None]:
    frame = store.load(["responses"], territories=[TERRITORY])["responses"]
    mine = frame[frame["respondent_id"] == respondent]
    return {row.item_id: (None if pd.isna(row.score) else int(row.score)) for row in mine.itertuples()}


@pytest.mark.browser
def test_personal_link_answer_lose_connection_reload_change(phone, apps, shot, fill_questionnaire, hostile):
    """A partner answers the first page and writes a remark; the laptop sleeps: the connection
    drops (a relay cut) and the server stops the page's kernel, as its culler does for a page
    no one is connected to. On waking, the page says it is lost and takes no more input; the
    reload brings the answers and the remark back (the tab's draft). Sent, they are stored
    and the draft is gone; the same link again shows them, changed and sent again."""
    page = phone
    closes = date.today() + timedelta(days=30)
    made = open_wave(apps.store, TERRITORY, 3, closes=closes, base_url="https://evaluation.example.fr")
    link, token = next((link, token) for link, token in made if link.partner_id == "P02")
    remark = f"Vu en réunion {hostile} $x$"
    relay = Relay(apps.server.port)  # the page's own way to the server, which can be cut
    url = app_url(relay.url, "questionnaire", lien=token)

    with relay:
        with telling(page, apps.server):
            page.goto(url)
            page.get_by_role("button", name="Commencer").wait_for()
            assert page.get_by_text("Mairie de Villeneuve-sur-Lorne", exact=True).is_visible()
            assert page.get_by_role("combobox").count() == 0  # nothing to choose: no list of territories or partners
            before = {}
            items = page.locator(".ci-item")  # the first page's, under the introduction
            for k in range(items.count()):
                item = items.nth(k)
                number = int(re.match(r"\s*(\d+)\.", item.inner_text()).group(1))
                before[number] = label_for(number)
                item.get_by_role("radio", name=before[number], exact=True).check()
            page.locator("textarea").fill(remark)
            page.get_by_text(f"{len(before)} réponses sur {len(FW.items)}", exact=True).wait_for()
            # the tab keeps what the kernel wrote (the remark reaches the kernel as it is typed)
            page.wait_for_function("t => Object.values(sessionStorage).some(v => v.includes(t))", arg="Vu en réunion")
            kernel = page_kernel(page)

            relay.cut()
            page.get_by_text("La connexion avec le serveur est interrompue.").wait_for()
            stop_kernel(apps.url, kernel)  # nobody connected: the culler's work, done now
            relay.restore()
            lost = page.locator(".ci-connection-lost")
            lost.wait_for()
            assert "Cette page n'est plus reliée au serveur" in lost.inner_text()
            assert "Ce que vous avez saisi sans l'enregistrer est gardé dans cet onglet" in lost.inner_text()
            assert page.evaluate("document.querySelector('.ci-app').closest('[inert]') !== null")  # takes no input
            if apps.shots is not None:  # the page as the partner finds it
                apps.shots.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=apps.shots / "link_0_lost.png")

            page.get_by_role("button", name="Recharger la page").click()
            page.get_by_text(f"Vos réponses non envoyées ont été reprises ({len(before)} réponses)").wait_for()
            assert page_kernel(page) != kernel
            shot(page, "link_0_draft_back")
            assert first_page_answers(page) == before
            assert page.locator("textarea").input_value() == remark

            chosen = fill_questionnaire(page, label_for)
            assert {n: chosen[n] for n in before} == before
            page.get_by_role("button", name="Envoyer mes réponses").click()
            page.get_by_text("Merci ! Vos réponses sont enregistrées.").wait_for()
            assert page.evaluate("sessionStorage.length") == 0  # sent: nothing kept in the tab
        numbers = {item.id: n for n, item in enumerate(FW.items, start=1)}
        expected = {item: (None if chosen[n] == DONT_KNOW else LABELS.index(chosen[n]) + 1) for item, n in numbers.items()}
        assert stored(apps.store, link.respondent) == expected
        comments = apps.store.load(["comments"], territories=[TERRITORY])["comments"]
        mine = comments[comments["respondent_id"] == link.respondent]
        assert dict(zip(mine["condition"], mine["text"], strict=True)) == {FW.conditions[0].id: clean_text(remark)}

        # the same link again: the answers are there, from the store (the draft is gone)
        page.goto(url)
        page.get_by_text("Vous avez déjà répondu").wait_for()
        assert page.get_by_text("Vos réponses non envoyées ont été reprises").count() == 0
        shot(page, "link_1_again")
        page.get_by_role("button", name="Commencer").click()
        items = page.locator(".ci-item")
        items.first.wait_for()
        for k in range(items.count()):
            item = items.nth(k)
            number = int(re.match(r"\s*(\d+)\.", item.inner_text()).group(1))
            assert item.get_by_role("radio", name=chosen[number], exact=True).is_checked()
        # change the first answer, leave a remark
        first = FW.items[0].id
        new_label = LABELS[0] if chosen[1] != LABELS[0] else LABELS[1]
        items.first.get_by_role("radio", name=new_label, exact=True).check()
        page.locator("textarea").fill("Un diagnostic fait ensemble en 2024.")
        shot(page, "link_2_changed")
        for k in range(1, len(FW.conditions)):
            page.get_by_role("button", name="Suivant").click()
            page.get_by_text(FW.conditions[k].label("fr"), exact=True).first.wait_for()
        page.get_by_role("button", name="Suivant").click()
        page.get_by_role("button", name="Envoyer mes réponses").click()
        page.get_by_text("Merci ! Vos réponses sont enregistrées.").wait_for()
        shot(page, "link_3_sent")

        assert stored(apps.store, link.respondent) == {**expected, first: LABELS.index(new_label) + 1}
        comments = apps.store.load(["comments"], territories=[TERRITORY])["comments"]
        mine = comments[comments["respondent_id"] == link.respondent]
        assert dict(zip(mine["condition"], mine["text"], strict=True)) == {
            FW.conditions[0].id: "Un diagnostic fait ensemble en 2024."}
        assert resolve_link(apps.store, token).opened is not None

        # once the wave is closed, the same link gives the results back
        close_wave(apps.store, TERRITORY, 3)
        page.goto(url)
        page.get_by_text("Résultats du questionnaire").wait_for()
        shot(page, "link_4_results")
        assert page.get_by_role("button", name="Commencer").count() == 0
        assert page.get_by_text("non montré (trop peu de répondants)").count() == len(FW.conditions)
        assert page.dialogs == []


@pytest.mark.browser
def test_first_question_on_the_first_page(phone, apps, fill_questionnaire):
    """The first item's radio buttons show with the first page, no click; answered there, the
    answer reaches the kernel (the count moves) and is the one stored on sending."""
    page = phone
    page.goto(app_url(apps.url, "questionnaire", territoire=TERRITORY, vague=3))
    first = page.locator(".ci-item").first
    first.get_by_role("radio").first.wait_for()
    assert page.get_by_role("button", name="Commencer").is_visible()  # nothing clicked yet
    assert page.get_by_text("Quartier Nord – Les Tilleuls", exact=True).is_visible()
    assert page.get_by_text(f"Étape 1 sur {len(FW.conditions) + 1}").is_visible()
    assert re.match(r"\s*1\.", first.inner_text())
    assert first.get_by_role("radio").count() == len(LABELS) + 1  # 1–5 and "ne sait pas"
    first.get_by_role("radio", name=LABELS[3], exact=True).check()
    page.get_by_text(f"1 réponse sur {len(FW.items)}", exact=True).wait_for()
    assert first.get_by_role("radio", name=LABELS[3], exact=True).is_checked()

    chosen = fill_questionnaire(page, lambda number: None if number == 1 else label_for(number))
    assert 1 not in chosen and len(chosen) == len(FW.items) - 1
    page.get_by_role("button", name="Envoyer mes réponses").click()
    page.get_by_text("Merci ! Vos réponses sont enregistrées.").wait_for()
    reference = re.search(r"R-[0-9a-f]{16}", page.get_by_text("Référence de votre envoi").inner_text()).group(0)
    assert stored(apps.store, reference)[FW.items[0].id] == 4  # the fourth label, answered on the first page


def first_page_answers(page) -> dict[int, str]:
    """Item number → the label checked, on the page shown."""
    found = {}
    items = page.locator(".ci-item")
    for k in range(items.count()):
        item = items.nth(k)
        number = int(re.match(r"\s*(\d+)\.", item.inner_text()).group(1))
        for label in [*LABELS, DONT_KNOW]:
            if item.get_by_role("radio", name=label, exact=True).is_checked():
                found[number] = label
    return found


@pytest.mark.browser
def test_a_page_whose_kernel_dies_says_so_in_english(phone, apps):
    """The page's kernel killed while the page is open (the system out of memory): the server
    restarts an empty one under the same id, which knows nothing of the page. The page says it
    is lost, in the page's language (the reload is the French test's)."""
    page = phone
    page.goto(app_url(apps.url, "questionnaire", territoire=TERRITORY, vague=3, lang="en"))
    with telling(page, apps.server):
        first = page.locator(".ci-item").first
        first.get_by_role("radio").first.wait_for()
        first.get_by_role("radio").nth(1).check()
        page.get_by_text(f"1 answer out of {len(FW.items)}", exact=True).wait_for()
        page.wait_for_function("() => sessionStorage.length === 1")
        kernel = page_kernel(page)
        process = next(p for p in apps.server.kernel_processes() if kernel in " ".join(p.cmdline()))
        process.kill()
        lost = page.locator(".ci-connection-lost")
        lost.wait_for()
        assert "This page is no longer connected to the server" in lost.inner_text()
        assert "What you entered and had not saved is kept in this tab" in lost.inner_text()
        assert page.get_by_role("button", name="Reload the page").is_visible()
        assert page.evaluate("document.querySelector('.ci-app').closest('[inert]') !== null")
        # the widgets mark themselves disconnected; their broken-chain signs are hidden (the line says it)
        page.wait_for_function("() => document.querySelectorAll('.jupyter-widgets-disconnected').length > 0")
        assert page.evaluate("[...document.querySelectorAll('.jupyter-widgets-disconnected')]"
                             ".every(e => getComputedStyle(e, '::before').display === 'none')")
