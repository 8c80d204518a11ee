"""Uploads named ``.``, ``..`` or only slashes (issue 9, "Safe names"): both upload places of the app
(the proposal file and the official layers) refuse them with one bilingual message and leave no
temporary or ``.incoming-`` folder behind.

AppTest cannot upload files, so ``st.file_uploader`` is replaced by one that returns files with the
given names (the objects the app uses: ``name``, ``getvalue()``, ``getbuffer()``).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import streamlit as st


class _Upload:
    """A stand-in for Streamlit's UploadedFile."""

    def __init__(self, name: str, data: bytes = b"{}") -> None:
        self.name = name
        self._data = data

    def getvalue(self) -> bytes:
        return self._data

    def getbuffer(self) -> memoryview:
        return memoryview(self._data)


@pytest.mark.parametrize("name", ["..", ".", "/", "a/.."])
def test_bad_upload_names_are_refused_cleanly(at, monkeypatch, tmp_path, name):
    private = tmp_path / "tmp"
    private.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private))
    seen: list[str] = []

    def fake_uploader(label, *args, key=None, **kwargs):
        seen.append(str(key))
        return [_Upload(name)] if str(key).startswith(("upload", "official_upload")) else None

    monkeypatch.setattr(st, "file_uploader", fake_uploader)
    at.run()
    assert any(k.startswith("upload") for k in seen) and any(k.startswith("official_upload") for k in seen)
    refused = [e.value for e in at.error if "上传的文件名" in e.value]
    assert len(refused) == 2, [e.value for e in at.error]  # the proposal upload and the official layers
    for text in refused:
        assert "not valid" in text and "rename the file" in text
    assert list(private.iterdir()) == []  # no parkmap-upload-* folder left
    layers = Path(tmp_path / "home" / "layers")
    assert not layers.exists() or not [p for p in layers.iterdir() if p.name.startswith(".incoming-")]
    assert not layers.exists() or list(layers.iterdir()) == []
