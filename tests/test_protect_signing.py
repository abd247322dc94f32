"""Signed results are parsed strictly: what a reader sees is what was signed."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from app.cli import main as cli_main
from app.core.store.signing import MAX_DEPTH, ResultSigner, image_location, parse_strict, verify_document
from app.devtools.synthetic_results import make_service, synthetic_result


@pytest.fixture()
def data_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LIVEGATE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LIVEGATE_KEY_BACKEND", "file")
    return tmp_path / "data"


@pytest.fixture()
def failed_result(data_env: Path) -> dict:
    svc = make_service(data_env)
    try:
        session = svc.create()
        svc.start(session.id)
        done = svc.complete(session.id, synthetic_result(session.id, decision="fail"))
        assert done.result is not None and done.result["Decision"] == "fail"
        return done.result
    finally:
        svc.close()


def test_a_duplicate_decision_key_fails_verification(failed_result: dict, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = json.dumps(failed_result)
    assert body.startswith("{")
    # A first-wins parser would read "pass"; Python's last-wins parser reads the signed "fail".
    forged = tmp_path / "forged.json"
    forged.write_text('{"Decision": "pass", ' + body[1:])
    assert cli_main(["verify-result", str(forged)]) == 2
    err = capsys.readouterr().err
    assert "duplicate key 'Decision'" in err and len(err.strip().splitlines()) == 1
    honest = tmp_path / "honest.json"
    honest.write_text(body)
    assert cli_main(["verify-result", str(honest)]) == 0


def test_parse_strict_refuses_ambiguous_json() -> None:
    with pytest.raises(ValueError, match="duplicate key"):
        parse_strict('{"a": {"b": 1, "b": 2}}')
    with pytest.raises(ValueError, match="not a JSON number"):
        parse_strict('{"a": NaN}')
    with pytest.raises(ValueError, match="nested"):
        parse_strict("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1))
    assert parse_strict(b'{"a": [1, {"b": null}]}') == {"a": [1, {"b": None}]}


def test_an_unsigned_location_fails_verification(failed_result: dict) -> None:
    signer_doc = failed_result
    trusted = _trusted_from(signer_doc)
    sid = signer_doc["SessionId"]
    good = copy.deepcopy(signer_doc)
    good["ReferenceImage"]["Location"] = image_location(sid, "reference")
    good["AuditImages"][1]["Location"] = image_location(sid, "audit-1")
    assert verify_document(good, trusted).valid
    for place, role in (("ReferenceImage", "reference"), ("AuditImages", "audit-0")):
        bad = copy.deepcopy(signer_doc)
        target = bad[place] if place == "ReferenceImage" else bad[place][0]
        target["Location"] = {"Url": "https://attacker.example/face.jpg", "MediaType": "image/jpeg"}
        check = verify_document(bad, trusted)
        assert not check.valid and "Location" in check.reason
        # Another session's address is refused too.
        target["Location"] = image_location("A" * len(sid), role)
        assert not verify_document(bad, trusted).valid


def test_extra_members_in_the_signature_block_fail(failed_result: dict) -> None:
    trusted = _trusted_from(failed_result)
    bad = copy.deepcopy(failed_result)
    bad["Signature"]["Location"] = "https://attacker.example/"
    assert not verify_document(bad, trusted).valid


def _trusted_from(document: dict) -> dict:
    from app.core.store.crypto import KeyStore, default_key_dir
    import os

    signer = ResultSigner(KeyStore(default_key_dir(Path(os.environ["LIVEGATE_DATA_DIR"])), backend="file").signing_seed())
    assert document["Signature"]["KeyId"] == signer.key_id
    return {signer.key_id: signer.public_key}


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 100_000])
def test_deeply_nested_json_is_one_line_and_exit_2(data_env: Path, tmp_path: Path, depth: int, capsys: pytest.CaptureFixture[str]) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text('{"a":' * depth + "1" + "}" * depth)
    assert cli_main(["verify-result", str(deep)]) == 2
    captured = capsys.readouterr()
    assert len(captured.err.strip().splitlines()) == 1 and "Traceback" not in captured.err
    assert "nested" in captured.err
    assert verify_document(json.loads('{"a":' * 200 + "1" + "}" * 200), {}).valid is False
