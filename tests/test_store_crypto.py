"""Encryption at rest, tamper detection, keys and signatures."""

from __future__ import annotations

import base64
import json
import os
import sqlite3
import stat
import types
from pathlib import Path

import cv2
import numpy as np
import pytest

from app.cli import main as cli_main
from app.core.errors import StoreError
from app.core.sessions import ManualClock
from app.core.store import IntegrityError, KeyStore
from app.core.store import crypto
from app.core.store.signing import ResultSigner, canonical_json, verify_document
from app.devtools.synthetic_results import make_service, synthetic_result


@pytest.fixture()
def service(tmp_path: Path):
    svc = make_service(tmp_path, clock=ManualClock())
    yield svc
    svc.close()


def _finished(service):
    session = service.create()
    service.start(session.id)
    return service.complete(session.id, synthetic_result(session.id))


def test_image_on_disk_is_not_decodable(service) -> None:
    done = _finished(service)
    for stored in done.files:
        raw = (service.store.session_dir(done.id) / stored.name).read_bytes()
        assert raw[:4] == crypto.MAGIC
        assert b"\xff\xd8\xff" not in raw[:64]  # no JPEG start marker
        assert cv2.imdecode(np.frombuffer(raw, np.uint8), cv2.IMREAD_COLOR) is None
    jpeg = service.image(done.id, "reference")
    decoded = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert decoded is not None and decoded.shape == (240, 320, 3)


def test_files_are_owner_only(service) -> None:
    done = _finished(service)
    for stored in done.files:
        mode = stat.S_IMODE((service.store.session_dir(done.id) / stored.name).stat().st_mode)
        assert mode == 0o600
    key_dir = service.store.keys.directory
    assert stat.S_IMODE(key_dir.stat().st_mode) == 0o700
    for key_file in key_dir.glob("*.key"):
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


@pytest.mark.parametrize("offset", [0, 5, 20, 200, -1])
def test_one_changed_byte_in_an_image_is_detected(service, offset: int) -> None:
    done = _finished(service)
    path = service.store.session_dir(done.id) / done.file("audit-1").name
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(IntegrityError):
        service.image(done.id, "audit-1")
    assert service.image(done.id, "audit-0")  # the others are intact


def test_truncated_and_swapped_images_are_detected(service) -> None:
    a, b = _finished(service), _finished(service)
    folder_a, folder_b = service.store.session_dir(a.id), service.store.session_dir(b.id)
    (folder_a / "audit-0.enc").write_bytes((folder_b / "audit-0.enc").read_bytes())
    with pytest.raises(IntegrityError):
        service.image(a.id, "audit-0")
    (folder_b / "audit-1.enc").write_bytes((folder_b / "audit-2.enc").read_bytes())
    with pytest.raises(IntegrityError):
        service.image(b.id, "audit-1")
    ref = folder_b / "reference.enc"
    ref.write_bytes(ref.read_bytes()[:-1])
    with pytest.raises(IntegrityError):
        service.image(b.id, "reference")


def test_one_changed_byte_in_a_stored_result_is_detected(service) -> None:
    done = _finished(service)
    db = sqlite3.connect(service.store.root / "sessions.sqlite3")
    blob = db.execute("SELECT result FROM sessions WHERE id = ?", (done.id,)).fetchone()[0]
    # The result is encrypted at rest: one flipped byte fails its authenticity check.
    flipped = bytearray(blob)
    flipped[len(flipped) // 2] ^= 1
    db.execute("UPDATE sessions SET result = ? WHERE id = ?", (bytes(flipped), done.id))
    db.commit()
    with pytest.raises(IntegrityError, match="authenticity"):
        service.get(done.id)
    # Someone holding the data key (not the signing key) re-encrypts an edited result: the signature fails.
    text = service.store._unseal(done.id, "result", blob)
    tampered = text.replace(b'"Confidence":87.5', b'"Confidence":97.5')
    assert tampered != text
    db.execute("UPDATE sessions SET result = ? WHERE id = ?", (service.store._seal(done.id, "result", tampered), done.id))
    db.commit()
    db.close()
    with pytest.raises(IntegrityError, match="signature"):
        service.get(done.id)


def test_altered_record_columns_are_detected(service) -> None:
    done = _finished(service)
    db = sqlite3.connect(service.store.root / "sessions.sqlite3")
    db.execute("UPDATE sessions SET status = 'FAILED' WHERE id = ?", (done.id,))
    db.commit()
    db.close()
    with pytest.raises(IntegrityError, match="altered"):
        service.get(done.id)


def test_large_payload_round_trips_in_chunks(tmp_path: Path) -> None:
    key = os.urandom(32)
    data = os.urandom(crypto.CHUNK_SIZE * 2 + 12345)
    path = tmp_path / "big.enc"
    crypto.write_sealed(path, key, data, context=b"ctx")
    assert crypto.read_sealed(path, key, context=b"ctx") == data
    with pytest.raises(IntegrityError):
        crypto.read_sealed(path, key, context=b"other")
    # Dropping the whole last chunk must not go unnoticed.
    raw = path.read_bytes()
    path.write_bytes(raw[: 16 + 2 * (crypto.CHUNK_SIZE + 16)])
    with pytest.raises(IntegrityError):
        crypto.read_sealed(path, key, context=b"ctx")


@pytest.mark.parametrize("size", [0, 1, crypto.CHUNK_SIZE])
def test_edge_sizes_round_trip(tmp_path: Path, size: int) -> None:
    key = os.urandom(32)
    data = os.urandom(size)
    crypto.write_sealed(tmp_path / "f", key, data, context=b"c")
    assert crypto.read_sealed(tmp_path / "f", key, context=b"c") == data


def test_keys_persist_and_backend_is_recorded(tmp_path: Path) -> None:
    first = KeyStore(tmp_path / "keys", backend="file")
    key, token = first.data_key(), first.api_token()
    again = KeyStore(tmp_path / "keys")
    assert again.backend == "file"
    assert again.data_key() == key and again.api_token() == token
    assert len(token) >= 43


def test_loose_key_file_permissions_are_tightened(tmp_path: Path) -> None:
    keys = KeyStore(tmp_path / "keys", backend="file")
    keys.data_key()
    path = tmp_path / "keys" / "data.key"
    os.chmod(path, 0o644)
    KeyStore(tmp_path / "keys").data_key()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_corrupt_key_file_is_a_clear_error(tmp_path: Path) -> None:
    keys = KeyStore(tmp_path / "keys", backend="file")
    keys.data_key()
    (tmp_path / "keys" / "data.key").write_text("not base64 at all !!")
    with pytest.raises(StoreError, match="corrupt"):
        KeyStore(tmp_path / "keys").data_key()


class _FakeKeyring:
    """A stand-in for the ``keyring`` module with a working backend."""

    def __init__(self) -> None:
        self.secrets: dict[tuple[str, str], str] = {}
        self.available = True

    def get_keyring(self) -> object:
        return types.SimpleNamespace(priority=5)

    def set_password(self, service: str, name: str, value: str) -> None:
        self._check()
        self.secrets[(service, name)] = value

    def get_password(self, service: str, name: str) -> str | None:
        self._check()
        return self.secrets.get((service, name))

    def delete_password(self, service: str, name: str) -> None:
        self.secrets.pop((service, name), None)

    def _check(self) -> None:
        if not self.available:
            raise RuntimeError("Secret Service is locked")


def test_keyring_backend_is_used_when_it_works(tmp_path: Path) -> None:
    fake = _FakeKeyring()
    keys = KeyStore(tmp_path / "keys", keyring_module=fake)  # type: ignore[arg-type]
    key = keys.data_key()
    assert keys.backend == "keyring"
    assert not list((tmp_path / "keys").glob("*.key"))
    assert base64.b64decode(fake.secrets[("livegate", "data")]) == key


def test_unavailable_keyring_never_silently_creates_new_keys(tmp_path: Path) -> None:
    fake = _FakeKeyring()
    KeyStore(tmp_path / "keys", keyring_module=fake).data_key()  # type: ignore[arg-type]
    fake.available = False
    with pytest.raises(StoreError, match="keyring"):
        KeyStore(tmp_path / "keys", keyring_module=fake).data_key()  # type: ignore[arg-type]
    assert not list((tmp_path / "keys").glob("*.key"))


def test_broken_keyring_falls_back_to_files_on_first_run(tmp_path: Path) -> None:
    fake = _FakeKeyring()
    fake.available = False
    keys = KeyStore(tmp_path / "keys", keyring_module=fake)  # type: ignore[arg-type]
    keys.data_key()
    assert keys.backend == "file"
    assert (tmp_path / "keys" / "data.key").exists()


# --- canonical JSON and signatures ------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # RFC 8785 section 3.2.2.3 / appendix B number examples
        (333333333.33333329, "333333333.3333333"),
        (1e30, "1e+30"),
        (4.50, "4.5"),
        (2e-3, "0.002"),
        (0.000000000000000000000000001, "1e-27"),
        (1e21, "1e+21"),
        (1e20, "100000000000000000000"),
        (-0.0, "0"),
        (5e-324, "5e-324"),
        ({"b": 1, "a": [True, None, "\u20ac\n"]}, '{"a":[true,null,"\u20ac\\n"],"b":1}'),
        ({"\u00e9": 1, "z": 2, "\U0001f600": 3, "\ufb33": 4}, '{"z":2,"\u00e9":1,"\U0001f600":3,"\ufb33":4}'),
    ],
)
def test_canonical_json_follows_rfc8785(value: object, expected: str) -> None:
    assert canonical_json(value).decode("utf-8") == expected


def test_signature_covers_everything_but_image_payloads() -> None:
    signer = ResultSigner(bytes(32))
    doc = signer.sign({"SessionId": "s", "Confidence": 90.5, "ReferenceImage": {"Sha256": "ab"}, "AuditImages": []})
    trusted = {signer.key_id: signer.public_key}
    assert verify_document(doc, trusted).valid
    with_location = json.loads(json.dumps(doc))
    # A Location is not signed; only the address derived from the signed SessionId is accepted.
    with_location["ReferenceImage"]["Location"] = {"Url": "/v1/sessions/s/images/reference", "MediaType": "image/jpeg"}
    assert verify_document(with_location, trusted).valid
    with_location["ReferenceImage"]["Location"] = {"Url": "/x"}
    assert not verify_document(with_location, trusted).valid
    changed = json.loads(json.dumps(doc))
    changed["Confidence"] = 90.6
    assert not verify_document(changed, trusted).valid
    other = ResultSigner(b"\x01" * 32)
    assert not verify_document(doc, {other.key_id: other.public_key}).valid


def test_image_bytes_are_checked_against_signed_hashes() -> None:
    import hashlib

    signer = ResultSigner(bytes(32))
    image = b"\xff\xd8 fake jpeg"
    doc = signer.sign({"ReferenceImage": {"Sha256": hashlib.sha256(image).hexdigest()}})
    doc["ReferenceImage"]["Bytes"] = base64.b64encode(image).decode()
    trusted = {signer.key_id: signer.public_key}
    assert verify_document(doc, trusted).valid
    doc["ReferenceImage"]["Bytes"] = base64.b64encode(image + b"!").decode()
    assert not verify_document(doc, trusted).valid


# --- verify-result CLI -----------------------------------------------------------------


@pytest.fixture()
def data_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LIVEGATE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LIVEGATE_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("LIVEGATE_KEY_BACKEND", "file")
    return tmp_path / "data"


def test_verify_result_cli_exit_codes(data_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    svc = make_service(data_env)
    try:
        done = _finished(svc)
        key_id = svc.key_id
    finally:
        svc.close()
    good = tmp_path / "result.json"
    good.write_text(json.dumps(done.result))
    assert cli_main(["verify-result", str(good)]) == 0
    out = capsys.readouterr().out
    assert key_id in out and "this device" in out

    bad = tmp_path / "tampered.json"
    bad.write_text(json.dumps({**done.result, "Decision": "fail"}))
    assert cli_main(["verify-result", str(bad)]) == 1
    assert "altered" in capsys.readouterr().out

    unreadable = tmp_path / "broken.json"
    unreadable.write_text("{not json")
    assert cli_main(["verify-result", str(unreadable)]) == 2
    assert cli_main(["verify-result", str(tmp_path / "missing.json")]) == 2


def test_export_key_and_verify_elsewhere(data_env: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    svc = make_service(data_env)
    try:
        done = _finished(svc)
    finally:
        svc.close()
    assert cli_main(["verify-result", "--export-key"]) == 0
    pem = capsys.readouterr().out
    assert pem.startswith("-----BEGIN PUBLIC KEY-----")
    (tmp_path / "device.pem").write_text(pem)
    (tmp_path / "r.json").write_text(json.dumps(done.result))
    # Another machine: its own (empty) data folder does not know the key.
    monkeypatch.setenv("LIVEGATE_DATA_DIR", str(tmp_path / "elsewhere"))
    assert cli_main(["verify-result", str(tmp_path / "r.json")]) == 1
    assert "not a trusted key" in capsys.readouterr().out
    assert not (tmp_path / "elsewhere" / "keys" / "signing.key").exists()
    assert cli_main(["verify-result", str(tmp_path / "r.json"), "--key", str(tmp_path / "device.pem")]) == 0
    assert "--key" in capsys.readouterr().out
