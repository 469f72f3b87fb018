"""Writing output files so that a failure never leaves half a file.

Every file the tool writes for a user (an exported or template workbook, a report, the
batch's summary) goes through :func:`atomic_path`: the content is written to a temporary
file in the same folder, then moved into place with :func:`os.replace`, which replaces the
target in one step on the same file system. A full disk, a crash or a Ctrl+C leaves the
previous file (or none), never a file that opens but lacks sheets.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from collective_impact.errors import OutputError
from collective_impact.i18n import t

__all__ = ["atomic_path", "write_bytes"]


@contextmanager
def atomic_path(path: str | os.PathLike, *, lang: str = "fr") -> Iterator[Path]:
    """Yield a temporary path beside ``path``; when the block ends without error, move it onto ``path``.

    The parent folders of ``path`` are created. On any error (raised by the block or by the
    move) the temporary file is removed and ``path`` is left as it was.

    Parameters
    ----------
    path : path
        The file to write.
    lang : {"fr", "en"}
        Language of the error message.

    Raises
    ------
    OutputError
        When the file cannot be written (full disk, no permission, read-only folder…); the
        ``OSError`` is its cause.
    """
    target = Path(path)
    temporary: Path | None = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        # same folder: os.replace is then a rename on one file system, done in one step
        handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        os.close(handle)
        temporary = Path(name)
        yield temporary
        os.replace(temporary, target)
        temporary = None
    except OSError as err:
        raise OutputError(t("files.write_failed", lang, path=target, detail=err.strerror or err)) from err
    finally:
        if temporary is not None:
            temporary.unlink(missing_ok=True)


def write_bytes(path: str | os.PathLike, data: bytes, *, lang: str = "fr") -> None:
    """Write ``data`` to ``path`` through :func:`atomic_path` (all of it, or nothing)."""
    with atomic_path(path, lang=lang) as temporary:
        temporary.write_bytes(data)
