"""A failed browser test's report says what its page showed and whether the page still drew
frames (``describe_page`` in support.py, added to the report by ``tests/conftest.py``).

A click that waited 180 s on "visible, enabled and stable" once failed a CI run with nothing
else to go on: Playwright's "stable" check counts animation frames, and a page that stops
drawing them makes it wait without end. The next such failure says which it was.
"""

from __future__ import annotations

import pytest
from support import browser_page, close_context, describe_page

pytestmark = [pytest.mark.browser]

PAGE = "data:text/html;charset=utf-8,<h1>Étape 2 sur 7</h1><p>Indicateurs partagés</p>"


@pytest.fixture
def context(browser):
    context = browser.new_context(viewport={"width": 800, "height": 600}, locale="fr-FR")
    yield context
    close_context(context)


def test_a_page_that_draws_is_described_with_its_text(context):
    page = browser_page(context)
    page.goto(PAGE)
    lines = describe_page(page, wait_ms=2000).splitlines()
    assert lines[0] == f"url: {page.url}"
    assert lines[1] == "frames: drawing"
    assert lines[2:] == ["text:", "Étape 2 sur 7", "", "Indicateurs partagés"]


def test_a_page_that_draws_no_frame_is_said_so_within_the_wait(context):
    page = browser_page(context)
    # what a stalled compositor looks like from the page: no animation frame callback ever runs
    page.add_init_script("window.requestAnimationFrame = () => 0;")
    page.goto(PAGE)
    lines = describe_page(page, wait_ms=1000).splitlines()
    assert lines[1].startswith("frames: none drawn within 1000 ms")
    assert "Étape 2 sur 7" in lines[3]
