"""Bilingual (Chinese / English) user-facing errors for the geo engine.

Every bad-input path in :mod:`geo` raises :class:`ParkmapError`; the CLI turns
it into a single line on stderr and exit code 2.
"""

from __future__ import annotations


def _one_line(text: str) -> str:
    """Collapse whitespace/newlines so a message always fits on one line."""
    return " ".join(str(text).split())


class ParkmapError(Exception):
    """A problem with the user's input that the user can fix.

    Parameters
    ----------
    zh : str
        Chinese message (what is wrong and what to do).
    en : str
        English message with the same content.
    hint : str, optional
        Extra bilingual hint, e.g. ``"用 --crs 4523 指定 / pass --crs 4523"``.
    code : str, optional
        Stable machine-readable error kind (``"crs-ambiguous"``, ``"empty"``,
        ``"zip-slip"``...), useful for tests and JSON output.

    Notes
    -----
    ``str(err)`` is one line: ``"中文… / English…"`` followed by the hint in
    brackets when present.
    """

    def __init__(self, zh: str, en: str, hint: str | None = None, *, code: str = "error") -> None:
        self.zh = _one_line(zh)
        self.en = _one_line(en)
        self.hint = _one_line(hint) if hint else None
        self.code = code
        super().__init__(str(self))

    def __str__(self) -> str:
        msg = f"{self.zh} / {self.en}"
        if self.hint:
            msg += f" [{self.hint}]"
        return msg

    def to_dict(self) -> dict[str, str | None]:
        """Return a JSON-serialisable representation."""
        return {"code": self.code, "zh": self.zh, "en": self.en, "hint": self.hint}


def bilingual(zh: str, en: str) -> str:
    """Format a one-line bilingual warning ``"中文 / English"``."""
    return f"{_one_line(zh)} / {_one_line(en)}"
