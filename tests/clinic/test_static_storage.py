"""Static file URLs: whitenoise's hashed names, each looked up once per process."""

import json

import pytest
from whitenoise.storage import CompressedManifestStaticFilesStorage

from clinic.static_storage import StaticFilesStorage


@pytest.fixture
def storage(tmp_path):
    manifest = {
        "version": "1.1",
        "hash": "0",
        "paths": {"clinic/clinic.css": "clinic/clinic.0a1b.css"},
    }
    (tmp_path / "staticfiles.json").write_text(json.dumps(manifest))
    return StaticFilesStorage(location=tmp_path, base_url="/static/")


@pytest.fixture
def lookups(monkeypatch):
    names = []
    original = CompressedManifestStaticFilesStorage.url

    def url(self, name, force=False):
        names.append(name)
        return original(self, name, force)

    monkeypatch.setattr(CompressedManifestStaticFilesStorage, "url", url)
    return names


def test_a_url_names_the_hashed_file_and_is_looked_up_once(storage, lookups):
    assert storage.url("clinic/clinic.css") == "/static/clinic/clinic.0a1b.css"
    assert storage.url("clinic/clinic.css") == "/static/clinic/clinic.0a1b.css"
    assert lookups == ["clinic/clinic.css"]


def test_a_file_missing_from_the_manifest_is_still_an_error_each_time(storage):
    for _ in range(2):
        with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
            storage.url("clinic/nowhere.css")


def test_collecting_the_files_again_serves_their_new_names(storage):
    assert storage.url("clinic/clinic.css") == "/static/clinic/clinic.0a1b.css"
    list(storage.post_process({}, dry_run=True))
    storage.hashed_files = {"clinic/clinic.css": "clinic/clinic.9f8e.css"}  # as collected
    assert storage.url("clinic/clinic.css") == "/static/clinic/clinic.9f8e.css"


def test_production_serves_static_files_through_it():
    from clinic import settings

    if settings.DEBUG:
        pytest.skip("DEBUG serves the files as they are")
    assert settings.STORAGES["staticfiles"]["BACKEND"] == "clinic.static_storage.StaticFilesStorage"
