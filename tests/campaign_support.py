"""What the campaign tests share: a small hand-made store and a dump of every table of a file.

NORD has three partners (two mairies and a CAF), SUD one centre social: every expected
count of the campaign tests is written down by hand from these.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pandas as pd

from collective_impact.apps.submit import typed_frame
from collective_impact.store import Store


def small_tables() -> dict[str, pd.DataFrame]:
    return {
        "territories": typed_frame("territories", [
            {"territory_id": "NORD", "name": "Quartier Nord", "phase": "demarrage"},
            {"territory_id": "SUD", "name": "Quartier Sud", "phase": "demarrage"},
        ]),
        "partners": typed_frame("partners", [
            {"territory_id": "NORD", "partner_id": "P1", "name": "Mairie de Nord", "kind": "mairie"},
            {"territory_id": "NORD", "partner_id": "P2", "name": "CAF", "kind": "caf"},
            {"territory_id": "NORD", "partner_id": "P3", "name": "Mairie annexe", "kind": "mairie"},
            {"territory_id": "SUD", "partner_id": "S1", "name": "Centre social", "kind": "centre_social"},
        ]),
    }


def small_store(path: Path, tables: dict[str, pd.DataFrame] | None = None) -> Store:
    store = Store(path)
    store.import_tables(tables or small_tables(), mode="present")
    return store


def dump(path: Path | Store) -> dict[str, list[tuple]]:
    """Every row of every table of the file (internal tables included), to compare before and after."""
    path = path.path if isinstance(path, Store) else path
    with closing(sqlite3.connect(path)) as con:
        names = [n for (n,) in con.execute("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY 1")]
        return {n: sorted(con.execute(f'SELECT * FROM "{n}"').fetchall(), key=repr) for n in names}
