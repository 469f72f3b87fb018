"""The apps' messages (``i18n/messages/apps.yaml``): every one used exists in both languages, none is left unused."""

from __future__ import annotations

import re
from pathlib import Path

import collective_impact.apps
from collective_impact.apps.dashboard import DashboardApp
from collective_impact.i18n import catalogue

APPS = Path(collective_impact.apps.__file__).parent


def test_every_app_message_is_defined_in_both_languages_and_used():
    source = "".join(path.read_text(encoding="utf-8") for path in sorted(APPS.rglob("*.py")))
    literal = set(re.findall(r"""["']((?:forms|guided)\.[a-z0-9_.]+)["']""", source))
    # keys built at run time
    dynamic = ({f"forms.s.col_{c}" for c in ("date", "value", "kind", "title", "attendees")}
               | {f"guided.d.{name}" for name in DashboardApp.SECTIONS if name not in DashboardApp._TITLES})
    defined = {key: texts for key, texts in catalogue().items() if key.startswith(("forms.", "guided."))}
    assert sorted((literal | dynamic) - set(defined)) == []
    assert sorted(set(defined) - literal - dynamic) == []  # nothing left unused
    assert [key for key, texts in defined.items() if not (texts.get("fr", "").strip() and texts.get("en", "").strip())] == []
