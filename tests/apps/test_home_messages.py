"""The home page's messages (``i18n/messages/home.yaml``): every one used exists in both languages, none is left unused."""

from __future__ import annotations

import re
from pathlib import Path

import collective_impact.apps
import collective_impact.report.summary_xlsx
from collective_impact.apps.home import TERRITORY_APPS
from collective_impact.i18n import catalogue
from collective_impact.report.batch import REPORT_STATES, STATUSES

SOURCES = [Path(collective_impact.apps.__file__).parent / name for name in ("home.py", "first_page.py", "upload.py", "reports.py")]
SOURCES.append(Path(collective_impact.report.summary_xlsx.__file__))
PREFIXES = ("home.", "summary_xlsx.", "noun.home_")


def test_every_home_message_is_defined_in_both_languages_and_used():
    source = "".join(path.read_text(encoding="utf-8") for path in SOURCES)
    literal = set(re.findall(r"""["']((?:home|summary_xlsx)\.[a-z0-9_.]+[a-z0-9_])["']""", source))
    # keys built at run time
    dynamic = ({f"home.t.col.{c}" for c in ("territory", "as_of", "wave", "rate", "report", "open")}
               | {f"home.t.report.{state}" for state in REPORT_STATES}
               | {f"home.link.{app}" for app in TERRITORY_APPS}
               | {f"home.u.col.{c}" for c in ("file", "sheet", "rows", "column", "value", "message", "suggestion")}
               | {f"home.r.state.{status}" for status in STATUSES}
               | {f"noun.home_{status}" for status in STATUSES}
               | {"home.d.html", "home.d.pdf"})
    defined = {key: texts for key, texts in catalogue().items() if key.startswith(PREFIXES)}
    assert sorted((literal | dynamic) - set(defined)) == []
    assert sorted(set(defined) - literal - dynamic) == []  # nothing left unused
    assert [key for key, texts in defined.items() if not (texts.get("fr") and texts.get("en"))] == []
