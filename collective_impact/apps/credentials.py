"""The evaluator's credentials and the command of their server, without loading Jupyter's server.

:class:`AccessFile` (the password hash, the cookie key and the committee links of a store,
in ``<store>.acces.json``), :func:`access_path` and :func:`evaluator_server` (the server
process of ``collective-impact app``, not started) are what the command line needs before
the server runs. They live here, apart from the gate of :mod:`collective_impact.apps.access`
(which re-exports them), because that module loads Voila and jupyter_server: 3 s on an idle
core and more than 10 s on two loaded ones, spent by ``collective-impact app`` before it
even started the server. This module loads none of them (the password hashing of
``jupyter_server.auth.security`` is a tenth of a second).
"""

from __future__ import annotations

import json
import os
import secrets
from datetime import date
from pathlib import Path

from jupyter_server.auth.security import passwd, passwd_check

from collective_impact.apps.server import VoilaServer, list_apps
from collective_impact.errors import InputError, Problem
from collective_impact.files import atomic_path
from collective_impact.i18n import t
from collective_impact.schema import ID_PATTERN
from collective_impact.tokens import looks_like_token, new_token, same_token, token_hash

__all__ = ["ACCESS_SUFFIX", "TOKEN_HASH_ENV", "AccessFile", "access_path", "evaluator_server"]

#: Environment variable giving the Voila process the SHA-256 of the start token.
TOKEN_HASH_ENV = "COLLECTIVE_IMPACT_TOKEN_HASH"
#: The credentials file is the store's path with this suffix in place of ``.sqlite``.
ACCESS_SUFFIX = ".acces.json"


def access_path(store_path: str | os.PathLike) -> Path:
    """The credentials file of the store at ``store_path`` (``data/evaluation.acces.json``)."""
    path = Path(store_path)
    return path.with_name(path.stem + ACCESS_SUFFIX)


class AccessFile:
    """The evaluator's password hash, the cookie key and the committee links of one store.

    The file is JSON, written atomically and readable by its owner only; a missing file is
    an empty one. Tokens are never written: only their SHA-256.
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)

    def _read(self) -> dict:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            # a damaged file grants nothing (and is replaced at the next change)
            return {}
        return data if isinstance(data, dict) else {}

    def _write(self, data: dict) -> None:
        with atomic_path(self.path) as temporary:
            temporary.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
            # credentials: the owner only, whatever the umask
            os.chmod(temporary, 0o600)

    @property
    def has_password(self) -> bool:
        """Whether a password is set."""
        return bool(self._read().get("password"))

    def set_password(self, password: str, *, lang: str = "fr") -> None:
        """Set the evaluator's password (argon2 hash); every cookie given before stops working.

        Raises
        ------
        InputError
            A password shorter than 8 characters.
        """
        if len(password) < 8:
            message = t("access.password_short", lang)
            raise InputError([Problem(str(self.path), None, None, None, None, message)], message)
        data = self._read()
        data["password"] = passwd(password)
        # a new key: the cookies signed with the old one are refused
        data["cookie_secret"] = secrets.token_hex(32)
        self._write(data)

    def check_password(self, password: str) -> bool:
        """Whether ``password`` is the evaluator's (False when none is set)."""
        stored = self._read().get("password")
        return bool(stored) and bool(password) and passwd_check(stored, password)

    def cookie_secret(self) -> bytes:
        """The key signing the cookies (made and kept at the first call)."""
        data = self._read()
        if not data.get("cookie_secret"):
            data["cookie_secret"] = secrets.token_hex(32)
            self._write(data)
        return bytes.fromhex(data["cookie_secret"])

    def add_dashboard_link(self, territory: str, *, today: date | None = None) -> str:
        """A new committee link token for ``territory`` (shown once; its hash is kept)."""
        if not ID_PATTERN.fullmatch(territory or ""):
            raise ValueError(territory)
        token = new_token()
        data = self._read()
        links = data.setdefault("dashboard_links", [])
        links.append({"hash": token_hash(token), "territory": territory,
                      "created": (today or date.today()).isoformat()})
        self._write(data)
        return token

    def dashboard_territory(self, token: str) -> str | None:
        """The territory of the committee link ``token``, or None (malformed, unknown or revoked)."""
        if not looks_like_token(token):
            return None
        for link in self._read().get("dashboard_links", []):
            # every link compared, each in constant time
            if isinstance(link, dict) and same_token(token, link.get("hash", "")):
                return link.get("territory")
        return None

    def dashboard_links(self) -> list[dict[str, str]]:
        """The committee links kept: territory and creation date (never a token)."""
        return [{"territory": link["territory"], "created": link.get("created", "")}
                for link in self._read().get("dashboard_links", []) if isinstance(link, dict)]

    def revoke_dashboard_links(self, territory: str) -> int:
        """Disable every committee link of ``territory``; return how many there were."""
        data = self._read()
        links = data.get("dashboard_links", [])
        kept = [link for link in links if not (isinstance(link, dict) and link.get("territory") == territory)]
        data["dashboard_links"] = kept
        self._write(data)
        return len(links) - len(kept)



def evaluator_server(store_path: str | os.PathLike, port: int | None = None, *, token: str | None,
                     **kwargs: object) -> VoilaServer:
    """The evaluator's server process for the store at ``store_path`` (not started).

    ``token`` is the start token (its hash only reaches the server), or None when the
    evaluator logs in with the password of the store's :class:`AccessFile`. Other
    keyword arguments go to :class:`~collective_impact.apps.server.VoilaServer`.
    """
    env = {TOKEN_HASH_ENV: token_hash(token) if token else ""}
    # the results page only serves partners' links (on the partners' server): no kernel kept ready for it here
    kwargs.setdefault("preheat_only", [app.name for app in list_apps(kwargs.get("apps_dir")) if app.name != "resultats"])
    args = [f"--EvaluatorVoila.access_file={access_path(store_path)}"]
    return VoilaServer(store_path, port, module="collective_impact.apps.access", extra_args=args, extra_env=env,
                       **kwargs)
