"""The page's address: what an app reads from ``?territoire=ID&vague=2&lang=en``."""

from __future__ import annotations

import pytest

from collective_impact.apps.params import parse_query, request_params


@pytest.mark.parametrize(("query", "territory", "wave", "lang", "ignored"), [
    ("territoire=QPV-NORD&vague=2", "QPV-NORD", 2, "fr", ()),
    ("territory=T_1&wave=3&lang=en", "T_1", 3, "en", ()),
    ("", None, None, "fr", ()),
    ("territoire=../../etc&vague=0&lang=de", None, None, "fr", ("../../etc", "0", "de")),
    ("territoire=%3Cimg%3E&vague=deux", None, None, "fr", ("<img>", "deux")),
])
def test_parse_query(query, territory, wave, lang, ignored):
    params = parse_query(query)
    assert (params.territory, params.wave, params.lang, params.ignored) == (territory, wave, lang, ignored)


def test_request_params_reads_voila_query_string(monkeypatch):
    monkeypatch.delenv("VOILA_PREHEAT", raising=False)
    monkeypatch.setenv("QUERY_STRING", "territoire=QPV-GARE&vague=1")
    params = request_params()
    assert (params.territory, params.wave) == ("QPV-GARE", 1)


def test_request_params_query_overrides_the_environment(monkeypatch):
    monkeypatch.delenv("VOILA_PREHEAT", raising=False)
    monkeypatch.setenv("QUERY_STRING", "territoire=QPV-GARE")
    assert request_params("territoire=QPV-NORD&lang=en").territory == "QPV-NORD"
