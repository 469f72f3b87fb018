"""The evaluation store: one SQLite file holding every table of every territory.

Each operation opens its own connection and closes it, so a :class:`Store` may be shared
between threads (the Voila forms submit concurrently). Every write is one ``BEGIN
IMMEDIATE`` transaction: it is written entirely or not at all, and it is retried a few
times when another writer holds the file for longer than the busy timeout.

SQL layout
----------
One table per :data:`collective_impact.schema.TABLES` entry, columns named by the
canonical ids, ``STRICT`` typing: ids, texts, codes, id lists and dates are ``TEXT``
(dates as ``YYYY-MM-DD``), ints and bools ``INTEGER`` (bools as 0/1), floats ``REAL``;
a missing value is ``NULL``. The primary key is ``Table.key``. Every table refers to
``territories`` (even where the schema leaves it implicit) and the schema's plain
references (a response's partner, an indicator's outcome…) are foreign keys too.
They are checked at commit time (``DEFERRABLE INITIALLY DEFERRED``), so that a
transaction may delete and re-insert a parent row (:meth:`Store.replace_rows` editing a
partner), and a broken reference is reported with the rows it comes from (see
``_check_references``) instead of SQLite's bare "constraint failed". There is no
``ON DELETE CASCADE``: editing a territory or a partner by delete-and-insert would then
silently delete every row below it. An import deletes a territory's rows from every
table explicitly, and a deletion that would leave rows pointing nowhere is refused
(:meth:`Store.delete_rows` names the rows still citing the row, reference lists
included). Reference lists (``idlist`` columns) are not foreign keys. The store's own
tables are not part of the data: ``meta`` (schema version, creation time),
``report_runs``, ``audit`` (below), and those other modules append to ``_SYSTEM_DDL``
(created in an older store when it is next opened for writing).

Importing never drops a table silently
--------------------------------------
:meth:`Store.import_tables` takes the tables *present* in a file (as
:func:`collective_impact.validation.load_files` returns them). In the default mode,
``"complete"``, the file is the whole truth about its territories: a table absent from it
while the store holds rows of these territories there is refused (a renamed sheet would
otherwise delete them), with the rows it would remove counted per table
(:meth:`Store.absent_tables`). ``mode="present"`` replaces only the tables present and
keeps the others (a partial file); ``clear=[...]`` empties the named tables for the
file's territories, on purpose. The command line offers the same choice
(``--replace-only-present``, ``--clear TABLE``).

The audit trail
---------------
Every write records what it changed in the ``audit`` table, in the same transaction (a
change and its trace are written together or not at all): ``at`` (UTC, ISO 8601),
``who`` (the ``who`` keyword of each write, default the system user name), ``action``
(``insert``, ``update``, ``delete``, ``import``, ``remove_territory``), the ``table``,
the ``territory_id``, and ``key``, ``before``, ``after`` as JSON objects (column → value
as stored: dates as ``YYYY-MM-DD``, booleans as 0/1). A deletion keeps the deleted row's
values in ``before``: nothing leaves the store without a trace. The JSON is built by
SQLite (``json_object``) from the rows themselves, so that large operations never go
through Python row by row.

An import writes one ``import`` row per table and territory whose rows it changed, with
the row counts (``before``/``after`` = ``{"rows": n}``, no ``key``); when it replaces rows
the store already held, each row that differs (removed, added or changed, paired by key)
gets an ``import`` row of its own with its ``key``, ``before`` and ``after``. Rows of a
territory new to the store are not copied into the trail (they are in the store; any
later change of them is recorded), so that a first import of millions of answers costs
nothing more; a re-import costs one SQL comparison of the old and new rows, made only when
a table's replaced rows number at most :data:`AUDIT_DETAIL_LIMIT` (beyond, a re-import of
millions of answers records the counts only, and stays as fast as without the trail).
:meth:`Store.remove_territory` records every removed row with its values.

Read-only opening
-----------------
``Store(path, read_only=True)`` (the commands that only read: ``summary``, ``export``)
opens the file with SQLite's ``mode=ro``: nothing is created or modified, not even an
empty file, which is reported as not a store.

The package's rooms
-------------------
``connection`` (opening the file, read and write transactions), ``sql`` (the layout, values to
and from SQL), ``tables`` (inserting rows, keys and references checked), ``importing`` (files
into the store), ``editing`` (one change at a time), ``audit`` (the trail), ``reading``
(tables, territories, report runs, export). :class:`Store` puts them together.
"""

from __future__ import annotations

from collective_impact.store.audit import AUDIT_ACTIONS, AUDIT_COLUMNS
from collective_impact.store.connection import BUSY_TIMEOUT as BUSY_TIMEOUT
from collective_impact.store.connection import WRITE_ATTEMPTS as WRITE_ATTEMPTS
from collective_impact.store.connection import system_user as system_user
from collective_impact.store.editing import Editing
from collective_impact.store.importing import AUDIT_DETAIL_LIMIT, IMPORT_MODES, Importing, ImportMode, ImportSummary
from collective_impact.store.reading import Reading, RunRecord
from collective_impact.store.reading import _text_table as _text_table  # the command line's tables
from collective_impact.store.sql import SCHEMA_VERSION

__all__ = ["AUDIT_ACTIONS", "AUDIT_COLUMNS", "AUDIT_DETAIL_LIMIT", "IMPORT_MODES", "SCHEMA_VERSION", "ImportMode",
           "ImportSummary", "RunRecord", "Store"]


class Store(Reading, Importing, Editing):
    """The evaluation store, an SQLite file.

    Parameters
    ----------
    path
        The SQLite file. Its folder is created if needed.
    create
        When false, a missing file raises :class:`StoreError` telling the user how to
        create it (commands that only read use this).
    read_only
        Open with SQLite's ``mode=ro``: the file is never created nor modified (no
        table created, no journal mode set); it must already be a store of a known
        version, and any write raises :class:`StoreError`. Implies ``create=False``.
    lang
        Language of the error messages.
    busy_timeout
        Seconds a connection waits for another writer before giving up (then the whole
        write is retried, :data:`WRITE_ATTEMPTS` times in all).
    """
