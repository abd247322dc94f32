"""A session created with boto3 runs on the kiosk screen like any other and answers in the service's shapes.

The window, camera puppet and analyzer are those of ``test_gui_sessions.py``; the API is the real
server in a thread over the window's own session service (as the kiosk app embeds it).
"""

from __future__ import annotations

import hashlib
import threading

import boto3
import httpx
import pytest

from app.core.api.server import ApiServer
from app.core.api.sigv4 import stored_credentials
from app.core.challenge import MOVEMENT_ONLY
from app.core.fleet.local_servers import wait_for
from app.core.settings import Settings
from test_gui_sessions import Puppet, approach, build, wait_page  # noqa: F401  (build is a fixture)

pytestmark = pytest.mark.gui

TOKEN = "aws-kiosk-token-0123456789abcdef"


def test_a_boto3_session_is_run_by_the_kiosk(qtbot, build) -> None:  # noqa: F811
    puppet = Puppet()
    window = build(puppet, settings=Settings(mode="kiosk", kiosk_reset_s=60.0), kiosk=True, attract_after_s=0.2)
    service = window.controller.sessions
    wait_page(qtbot, window, "attract")
    keys = service.store.keys
    server = ApiServer(service, token=TOKEN, port=0, aws_credentials=lambda: stored_credentials(keys))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        assert wait_for(lambda: _up(server.url), 10.0)
        creds = stored_credentials(keys)
        rek = boto3.session.Session().client(
            "rekognition", endpoint_url=server.url, region_name="us-east-1",
            aws_access_key_id=creds.key_id, aws_secret_access_key=creds.secret,
        )
        sid = rek.create_face_liveness_session(Settings={"AuditImagesLimit": 1, "ChallengePreferences": [{"Type": MOVEMENT_ONLY}]})["SessionId"]
        started = httpx.post(f"{server.url}/v1/sessions/{sid}/start", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10.0)
        assert started.status_code == 202, started.text
        approach(qtbot, window, puppet)
        wait_page(qtbot, window, "result", timeout=20000)
        assert window.result_page.verdict.text() == "PASS"
        result = rek.get_face_liveness_session_results(SessionId=sid)
        signed = httpx.get(f"{server.url}/v1/sessions/{sid}/results", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10.0).json()
    finally:
        server.stop()
        thread.join(15)
    assert (result["SessionId"], result["Status"], result["Challenge"]["Type"]) == (sid, "SUCCEEDED", MOVEMENT_ONLY)
    assert result["Confidence"] == signed["Confidence"] and signed["Decision"] == "pass"
    assert len(result["AuditImages"]) == 1 and result["ReferenceImage"]["BoundingBox"]
    assert hashlib.sha256(result["ReferenceImage"]["Bytes"]).hexdigest() == signed["ReferenceImage"]["Sha256"]


def _up(url: str) -> bool:
    try:
        return httpx.get(f"{url}/v1/health", timeout=1.0).status_code == 200
    except httpx.TransportError:
        return False
