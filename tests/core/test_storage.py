"""Uploaded files are kept under keys made of their content, behind one small interface that
another store (S3, say) can stand in for."""

import hashlib
import threading
from pathlib import Path

import pytest

from eventreg.core import storage
from eventreg.core.storage import LocalStorage, StoredFile

PNG = b"\x89PNG\r\n\x1a\n not really, but bytes are bytes"


def test_a_key_names_the_content_and_its_type():
    key = storage.key_for(PNG, "image/png")
    assert key == hashlib.sha256(PNG).hexdigest() + ".png"
    assert storage.key_for(PNG, "image/jpeg").endswith(".jpg")
    assert storage.key_for(PNG + b"!", "image/png") != key
    assert storage.is_key(key) and storage.content_type_of(key) == "image/png"
    for not_a_key in ("../secret_key", key.upper(), key[:-4] + ".svg", key + "/x", ""):
        assert not storage.is_key(not_a_key), not_a_key


def test_local_storage_puts_reads_and_deletes(tmp_path):
    store = LocalStorage(tmp_path)
    key = storage.key_for(PNG, "image/png")
    assert not store.exists(key) and store.get(key) is None

    store.put(key, PNG, "image/png")
    store.put(key, PNG, "image/png")  # the same bytes again: nothing happens

    assert store.exists(key)
    assert store.get(key) == StoredFile(PNG, "image/png")
    assert (tmp_path / key[:2] / key).read_bytes() == PNG
    assert [path.name for path in (tmp_path / key[:2]).iterdir()] == [key]  # no leftovers
    store.delete(key)
    store.delete(key)  # already gone: fine
    assert not store.exists(key) and store.get(key) is None


def test_local_storage_refuses_a_key_that_does_not_name_the_bytes(tmp_path):
    store = LocalStorage(tmp_path)
    with pytest.raises(ValueError, match="does not name"):
        store.put(storage.key_for(b"other", "image/png"), PNG, "image/png")
    for hostile in ("../../etc/passwd", "a" * 64 + ".png/../../x"):
        with pytest.raises(ValueError, match="not a storage key"):
            store.get(hostile)
    assert list(tmp_path.iterdir()) == []


def test_the_app_keeps_uploads_in_the_instance_folder_by_default(app):
    key = storage.store(PNG, "image/png")
    folder = storage.storage().folder
    assert folder == Path(app.instance_path) / "uploads"
    assert (folder / key[:2] / key).read_bytes() == PNG
    assert storage.load(key) == StoredFile(PNG, "image/png")
    assert storage.load(None) is None and storage.load("../x") is None


class MemoryStorage:
    """Another store, as an S3 adapter would be: the app reaches it through the interface."""

    def __init__(self, config):
        self.bucket = config["TEST_BUCKET"]
        self.lock = threading.Lock()

    def put(self, key, data, content_type):
        with self.lock:
            self.bucket[key] = StoredFile(data, content_type)

    def get(self, key):
        return self.bucket.get(key)

    def delete(self, key):
        self.bucket.pop(key, None)

    def exists(self, key):
        return key in self.bucket


class TestAnotherStore:
    bucket: dict = {}

    @pytest.fixture
    def app_config(self):
        self.bucket.clear()
        return {"UPLOAD_STORAGE": f"{__name__}:MemoryStorage", "TEST_BUCKET": self.bucket}

    def test_upload_storage_names_the_store_the_app_uses(self, app, client):
        key = storage.store(PNG, "image/png")
        assert self.bucket == {key: StoredFile(PNG, "image/png")}
        assert isinstance(storage.storage(), MemoryStorage)

        response = client.get(f"/media/{key}")
        assert response.status_code == 200
        assert response.data == PNG and response.mimetype == "image/png"
