"""Uploaded files (logos, banners, speaker photos) behind one small interface.

A file is stored under a key made of the SHA-256 of its bytes and an extension naming its
type (``<64 hex digits>.png``): the same bytes always get the same key, so a key never
names two contents, its URL can be cached for ever, and storing a file twice is harmless
(a file may be stored before the transaction that refers to it commits).

The app only ever calls the four methods of ``Storage``. ``LocalStorage`` keeps the files in
a folder (``UPLOAD_FOLDER``, by default ``instance/uploads``); an S3-compatible store is a
class with the same four methods, named by ``UPLOAD_STORAGE`` ("package.module:factory",
called with the app's config).
"""

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, cast

from flask import current_app
from werkzeug.utils import import_string

# The types the app stores, and the extension each one's keys end with.
EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}
CONTENT_TYPES = {extension: content_type for content_type, extension in EXTENSIONS.items()}
KEY_PATTERN = re.compile(r"[0-9a-f]{64}\.(?:png|jpg|webp)")


@dataclass(frozen=True)
class StoredFile:
    data: bytes
    content_type: str


class Storage(Protocol):
    """Where uploaded files live. Keys are checked by the caller (``is_key``)."""

    def put(self, key: str, data: bytes, content_type: str) -> None: ...

    def get(self, key: str) -> StoredFile | None: ...

    def delete(self, key: str) -> None: ...

    def exists(self, key: str) -> bool: ...


def key_for(data: bytes, content_type: str) -> str:
    """The key of these bytes: their hash, and the extension of their type."""
    return f"{hashlib.sha256(data).hexdigest()}.{EXTENSIONS[content_type]}"


def is_key(text: str) -> bool:
    return KEY_PATTERN.fullmatch(text) is not None


def content_type_of(key: str) -> str:
    return CONTENT_TYPES[key.rpartition(".")[2]]


class LocalStorage:
    """Files in a folder on this machine, spread over subfolders by the key's first two
    characters (a folder of a hundred thousand files is slow to list on some filesystems)."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)

    def _path(self, key: str) -> Path:
        # Keys become paths: nothing but a well-formed key may reach the filesystem.
        if not is_key(key):
            raise ValueError(f"not a storage key: {key!r}")
        return self.folder / key[:2] / key

    def put(self, key: str, data: bytes, content_type: str) -> None:
        if key != key_for(data, content_type):
            raise ValueError("the key does not name these bytes")
        path = self._path(key)
        if path.exists():
            return  # the same bytes are there already
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written aside and renamed into place: a reader never sees half a file.
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
            os.chmod(temporary, 0o644)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> StoredFile | None:
        try:
            data = self._path(key).read_bytes()
        except FileNotFoundError:
            return None
        # The folder keeps no metadata: the key's extension is the type it was stored with.
        return StoredFile(data, content_type_of(key))

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()


_EXTENSION = "eventreg.storage"


def storage() -> Storage:
    """The app's storage, made on first use (after the tests have set the instance path)."""
    app = current_app
    found = app.extensions.get(_EXTENSION)
    if found is None:
        factory_name = app.config.get("UPLOAD_STORAGE")
        if factory_name:
            factory = import_string(factory_name)  # "package.module:factory"
            found = factory(app.config)
        else:
            folder = app.config.get("UPLOAD_FOLDER") or Path(app.instance_path) / "uploads"
            found = LocalStorage(folder)
        app.extensions[_EXTENSION] = found
    return cast(Storage, found)


def store(data: bytes, content_type: str) -> str:
    """Store the bytes and return their key."""
    key = key_for(data, content_type)
    storage().put(key, data, content_type)
    return key


def load(key: str | None) -> StoredFile | None:
    """The stored file at ``key``; None for no key, a malformed one or a missing file."""
    if not key or not is_key(key):
        return None
    return storage().get(key)
