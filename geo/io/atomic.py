"""Atomic file output: write into a private temporary folder next to the target, then move it into place.

:func:`atomic_output` and :func:`write_bytes_atomic` are the one way the
writers of :mod:`geo.io` (and the CLI) put a file on disk: the file is
produced inside a hidden temporary folder in the target's directory and
moved onto the target with :func:`os.replace`, so a failure never leaves a
half-written target and never destroys an existing file.  This module
imports no other :mod:`geo.io` module, so every format's writer can use it
(:mod:`geo.io.write` for GeoPackage/GeoJSON, :mod:`geo.io.jzd_txt` for
界址点 TXT) without the two depending on each other.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from geo.errors import ParkmapError


@contextmanager
def atomic_output(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path; on success move it onto ``path``.

    The temporary file lives in a hidden folder in the target's directory
    (same filesystem, so the final :func:`os.replace` is atomic).  On any
    exception the temporary folder is removed and ``path`` is untouched.
    """
    target = Path(path)
    if not target.parent.is_dir():
        raise ParkmapError(
            f"输出目录不存在：{target.parent}", f"Output folder does not exist: {target.parent}", code="write",
        )
    tmpdir = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        tmp = tmpdir / target.name
        yield tmp
        if not tmp.exists():
            raise ParkmapError(f"未能写出 {target.name}", f"Failed to write {target.name}", code="write")
        os.replace(tmp, target)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)


def write_bytes_atomic(path: str | Path, data: bytes) -> Path:
    """Atomically write ``data`` to ``path`` and return the path."""
    with atomic_output(path) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    return Path(path)


__all__ = ["atomic_output", "write_bytes_atomic"]
