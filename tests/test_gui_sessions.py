"""The GUI and the session store joined: every check is a stored session; lock-out; API-started checks; history.

Scripted camera and landmarks (the puppet of ``test_gui_screens.py``), temporary
stores with file keys, offscreen Qt. No sleeps: every wait is on a signal or a
screen change.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
import warnings
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QMessageBox

from app.core.api.app import create_app
from app.core.capture.base import FrameSource
from app.core.challenge import MOVEMENT_ONLY
from app.core.errors import CameraBusy, StoreError
from app.core.check.flow import FlowConfig
from app.core.guidance import Hint
from app.core.scoring.contract import SessionContext
from app.core.sessions import ManualClock, SessionNotFound, hash_pin
from app.core.sessions.service import SessionService
from app.core.settings import Settings
from app.devtools.synthetic_results import make_service, synthetic_result
from app.gui.controller import CheckController
from app.gui.kiosk import OperatorMenu, PinDialog
from app.gui.main import ApiHost, api_requested
from app.gui.preview import RasterCanvas
from app.gui.window import MainWindow
from test_gui_screens import FAST, FakeAnalyzer, Puppet, PuppetSource, PuppetStage

with warnings.catch_warnings():
    from starlette.exceptions import StarletteDeprecationWarning

    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

pytestmark = pytest.mark.gui

TOKEN = "gui-test-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
PIN_HASH = hash_pin("1357", salt=b"fedcba9876543210")


@pytest.fixture
def build(qtbot, tmp_path: Path, show_window) -> Iterator[Callable[..., MainWindow]]:
    """Windows wired to a puppet and to a session service over a temporary store."""
    services: list[SessionService] = []

    def make(
        puppet: Puppet,
        *,
        settings: Settings | None = None,
        service: SessionService | None = None,
        clock: ManualClock | None = None,
        analyzer: Callable[[SessionContext], object] | None = None,
        source: Callable[[str, object], FrameSource] | None = None,
        config: FlowConfig = FAST,
        kiosk: bool = False,
        attract_after_s: float = 60.0,
    ) -> MainWindow:
        settings = settings or Settings()
        if service is None:
            service = make_service(tmp_path / f"data{len(services)}", clock=clock, settings=settings, kiosk=False)
            services.append(service)
        controller = CheckController(
            settings=settings,
            source_spec="puppet:",
            flow_config=config,
            source_factory=source or (lambda s, screen: PuppetSource(puppet)),
            landmarks_factory=lambda: PuppetStage(puppet),
            analyzer_factory=analyzer or (lambda ctx: FakeAnalyzer(ctx)),
            recordings_dir=tmp_path / "recordings",
            sessions=service,
        )
        window = MainWindow(
            controller=controller,
            settings_path=tmp_path / "settings.json",
            kiosk=kiosk,
            canvas=RasterCanvas(),
            attract_after_s=attract_after_s,
            camera_lister=list,
        )
        return show_window(window, 900, 640)

    yield make
    show_window.close_all()  # windows end their sessions before the services close
    for service in services:
        service.close()


def wait_page(qtbot, window: MainWindow, *names: str, timeout: int = 10000) -> None:
    qtbot.waitUntil(lambda: window.page_name in names, timeout=timeout)


def approach(qtbot, window: MainWindow, puppet: Puppet) -> None:
    """The user starts far away and moves into the oval once told to."""
    wait_page(qtbot, window, "guidance")
    qtbot.waitUntil(lambda: window.guidance_page.current_hint is Hint.MOVE_CLOSER, timeout=5000)
    puppet.act("approach")


def run_check(qtbot, window: MainWindow, puppet: Puppet):
    """Press Start (movement only: no flashes to wait for), consent, approach, and return the finished store record."""
    puppet.act("far")
    window.start_page.movement_choice.setChecked(True)
    window.countdown_s = 1
    with qtbot.waitSignal(window.controller.recordFinished, timeout=20000) as finished:
        qtbot.mouseClick(window.start_page.start, Qt.MouseButton.LeftButton)
        window.get_ready_page.consent.setChecked(True)  # the get-ready screen asks for consent
        qtbot.mouseClick(window.get_ready_page.begin, Qt.MouseButton.LeftButton)
        approach(qtbot, window, puppet)
    return finished.args[0]


# --- every check is a session ------------------------------------------------------------------------


def test_a_passed_check_is_stored_with_its_images_and_recording(qtbot, build, tmp_path: Path) -> None:
    puppet = Puppet()
    window = build(puppet, settings=Settings(keep_recordings=True, audit_images=1))
    service = window.controller.sessions
    pages: list[str] = []
    window.pageShown.connect(pages.append)
    record = run_check(qtbot, window, puppet)
    wait_page(qtbot, window, "result")
    assert pages.index("verifying") < pages.index("result")  # the screen waits for the store
    assert window.result_page.verdict.text() == "PASS"
    assert window.controller.session is not None and window.controller.session.id == record.id
    stored = service.get(record.id)
    assert (stored.status, stored.decision, stored.confidence) == ("SUCCEEDED", "pass", 91.0)
    assert stored.created_at <= stored.started_at <= stored.finished_at
    assert {f.role for f in stored.files} == {"reference", "audit-0", "recording"}  # audit images limited to 1
    assert stored.result is not None and "Scripted reason one." in stored.result["Reasons"]
    assert service.image(record.id, "reference")[:2] == b"\xff\xd8"
    assert list((tmp_path / "recordings").glob("*")) == []  # the recording is in the store, encrypted; no plaintext left


@pytest.mark.parametrize("kind", ["fail", "unavailable"])
def test_the_stored_status_matches_what_the_screen_says(qtbot, build, kind: str) -> None:
    def missing(ctx: SessionContext) -> object:
        raise ImportError("No module named 'app.core.scoring.pipeline'")

    puppet = Puppet()
    analyzer = missing if kind == "unavailable" else (lambda ctx: FakeAnalyzer(ctx, "fail"))
    window = build(puppet, analyzer=analyzer)
    record = run_check(qtbot, window, puppet)
    wait_page(qtbot, window, "result")
    if kind == "fail":
        # Scored, decision fail: SUCCEEDED (it was scored) with the decision the screen shows.
        assert window.result_page.verdict.text() == "FAIL"
        assert (record.status, record.decision) == ("SUCCEEDED", "fail")
    else:
        # No score: never a pass. FAILED ("could not be scored"), no decision, no result document.
        assert window.result_page.staff_verdict.text() == "Scoring unavailable"
        assert (record.status, record.decision, record.result) == ("FAILED", None, None)
        assert "could not be scored" in record.reason and "not installed" in record.reason
    assert window.controller.sessions.lockout_status().recent_failures == 1  # both count toward the lock-out


def test_time_out_cancel_and_camera_error_end_their_sessions(qtbot, build) -> None:
    puppet = Puppet("far")
    window = build(puppet, config=dataclasses.replace(FAST, face_fit_timeout_s=1.0))
    with qtbot.waitSignal(window.controller.recordFinished, timeout=10000) as timed_out:
        window.start_check(challenge_type=MOVEMENT_ONLY)
    wait_page(qtbot, window, "timeout")
    assert timed_out.args[0].status == "FAILED" and timed_out.args[0].reason.startswith("time-out")

    with qtbot.waitSignal(window.controller.recordFinished, timeout=10000) as cancelled:
        window.problem_page.try_again.click()
        wait_page(qtbot, window, "guidance")
        qtbot.keyClick(window, Qt.Key.Key_Escape)
    wait_page(qtbot, window, "start")
    assert cancelled.args[0].id != timed_out.args[0].id
    assert (cancelled.args[0].status, cancelled.args[0].reason) == ("ERROR", "cancelled")

    def busy(spec: str, screen: object) -> FrameSource:
        raise CameraBusy("camera 'X' is in use")

    broken = build(Puppet(), source=busy)
    with qtbot.waitSignal(broken.controller.recordFinished, timeout=10000) as failed:
        broken.start_check(challenge_type=MOVEMENT_ONLY)
    wait_page(qtbot, broken, "error")
    assert failed.args[0].status == "ERROR" and "camera_busy" in failed.args[0].reason
    for service in (window.controller.sessions, broken.controller.sessions):
        assert not service.search(status="IN_PROGRESS") and not service.search(status="CREATED")


def test_a_store_write_error_is_shown_and_nothing_is_passed(qtbot, build, monkeypatch) -> None:
    puppet = Puppet()
    window = build(puppet)
    service = window.controller.sessions

    def disk_full(*args: object, **kwargs: object) -> None:
        raise StoreError("cannot write reference.enc: the disk is full")

    monkeypatch.setattr(service.store, "write_file", disk_full)
    pages: list[str] = []
    window.pageShown.connect(pages.append)
    with qtbot.waitSignal(window.controller.storeFailed, timeout=20000) as failed:
        window.start_check(challenge_type=MOVEMENT_ONLY)
        approach(qtbot, window, puppet)
    assert failed.args[0].kind == "save"
    assert window.page_name == "store_error"
    assert window.problem_page.title.text() == "The result could not be saved"
    assert "disk is full" in window.problem_page.detail.text()
    assert "result" not in pages and window.result_page.verdict.text() != "PASS"
    qtbot.waitUntil(lambda: window.controller.store.pending == 0, timeout=5000)
    (record,) = service.list()
    assert record.status == "ERROR" and record.reason.startswith("storage failed") and record.decision is None
    assert record.files == ()


# --- lock-out ----------------------------------------------------------------------------------------


def test_lockout_screen_after_failures_and_the_pin_override(qtbot, build) -> None:
    clock = ManualClock(time.time())
    settings = Settings(lockout_failures=2, lockout_window_s=180.0, lockout_duration_s=1800.0, kiosk_pin_hash=PIN_HASH)
    puppet = Puppet()
    window = build(puppet, settings=settings, clock=clock, analyzer=lambda ctx: FakeAnalyzer(ctx, "fail"))
    service = window.controller.sessions
    service._lockout.add_failure()  # an earlier failed check on this device (the sealed lock-out record counts it)
    run_check(qtbot, window, puppet)  # the second failure locks the device
    wait_page(qtbot, window, "result")
    assert service.lockout_status().locked

    assert window.result_page.view is not None and window.result_page.view.tries_left == 0, (window.result_page.view, window.lockout_left(), window.attempts)
    assert not window.result_page.try_again.isVisible()  # no tries left before the lock-out
    with qtbot.waitSignal(window.controller.lockedOut, timeout=5000):
        window.try_again()  # a retry anyway (e.g. from the start screen) meets the lock-out
    assert window.page_name == "lockout"
    page = window.lockout_page
    assert page.body.text() == "Too many failed checks on this device. Try again in 30 minutes."
    assert page.override.isVisible()
    assert len(service.list()) == 1  # the refused attempt left no session behind
    clock.advance(20 * 60)
    window.refresh_lockout()
    assert "Try again in 10 minutes." in page.body.text()

    qtbot.mouseClick(page.override, Qt.MouseButton.LeftButton)
    dialog = window.findChild(PinDialog)
    assert dialog is not None and dialog.isVisible()
    dialog.pin.setText("0000")
    dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
    qtbot.waitUntil(lambda: "Wrong PIN" in dialog.message.text(), timeout=20000)
    assert service.lockout_status().locked and window.page_name == "lockout"
    dialog.pin.setText("1357")
    with qtbot.waitSignal(dialog.granted, timeout=20000):
        dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
    wait_page(qtbot, window, "start")
    assert not service.lockout_status().locked
    with qtbot.waitSignal(window.controller.captureStarted, timeout=10000):
        window.start_check(challenge_type=MOVEMENT_ONLY)  # checks run again
    window.go_home()


# --- kiosk with the local API ---------------------------------------------------------------------------


def test_a_session_started_through_the_api_runs_on_the_kiosk(qtbot, build) -> None:
    contexts: list[SessionContext] = []

    def analyzer(ctx: SessionContext) -> FakeAnalyzer:
        contexts.append(ctx)
        return FakeAnalyzer(ctx)

    puppet = Puppet()
    window = build(puppet, settings=Settings(mode="kiosk", kiosk_reset_s=60.0), kiosk=True, analyzer=analyzer, attract_after_s=0.2)
    service = window.controller.sessions
    wait_page(qtbot, window, "attract")
    pages: list[str] = []
    window.pageShown.connect(pages.append)
    settings = {"ChallengePreferences": [{"Type": "FaceMovementChallenge"}], "AuditImagesLimit": 1, "Threshold": 70, "CustomerReference": "order-77"}
    with TestClient(create_app(service, token=TOKEN), raise_server_exceptions=False) as client:
        sid = client.post("/v1/sessions", json={"Settings": settings}, headers=AUTH).json()["SessionId"]
        r = client.post(f"/v1/sessions/{sid}/start", headers=AUTH)
        assert r.status_code == 202, r.text
        approach(qtbot, window, puppet)
        assert pages[0] == "camera_check"  # the kiosk left the attract screen for this session

        # A second session started while the first runs is refused, not queued or lost.
        other = client.post("/v1/sessions", json={}, headers=AUTH).json()["SessionId"]
        with qtbot.waitSignal(window.controller.recordFinished, check_params_cb=lambda rec: rec.id == other, timeout=10000):
            assert client.post(f"/v1/sessions/{other}/start", headers=AUTH).status_code == 202
        assert service.get(other).status == "ERROR" and "another check" in service.get(other).reason

        wait_page(qtbot, window, "result", timeout=20000)
        assert window.result_page.verdict.text() == "PASS"
        assert not window.result_page.confidence.isVisible()  # end users never see the confidence
        body = client.get(f"/v1/sessions/{sid}/results", headers=AUTH).json()
    assert (body["SessionId"], body["Status"], body["Decision"], body["Threshold"]) == (sid, "SUCCEEDED", "pass", 70.0)
    assert body["Challenge"]["Type"] == MOVEMENT_ONLY and len(body["AuditImages"]) == 1
    assert body["Session"]["CustomerReference"] == "order-77" and body["ReferenceImage"]["Bytes"]
    context = contexts[-1]
    assert (context.session_id, context.threshold, context.audit_images, context.challenge.type) == (sid, 70.0, 1, MOVEMENT_ONLY)

    # The history is for operators only: no button on the kiosk screen, an entry in the menu behind the PIN.
    assert not window.start_page.history_button.isVisible()
    window._show_operator_menu()  # what a granted PIN opens (the PIN itself: test_gui_kiosk.py)
    menu = window.findChild(OperatorMenu)
    assert menu is not None and menu.history_button.isVisible()
    menu.history_button.click()
    assert window.page_name == "history"


def test_the_api_serves_on_the_qasync_loop(qapp, tmp_path: Path) -> None:
    qasync = pytest.importorskip("qasync")
    service = make_service(tmp_path, kiosk=False)
    host = ApiHost(service, port=0, token=TOKEN)
    loop = qasync.QEventLoop(qapp, already_running=False)
    asyncio.set_event_loop(loop)

    async def main() -> tuple[httpx.Response, httpx.Response]:
        host.start()
        async with httpx.AsyncClient(base_url=host.url) as client:
            health = await client.get("/v1/health")
            created = await client.post("/v1/sessions", json={"Settings": {"CustomerReference": "Q-1"}}, headers=AUTH)
        await host.stop()
        return health, created

    try:
        health, created = loop.run_until_complete(main())
    finally:
        loop.close()
        asyncio.set_event_loop(None)
        service.close()
    assert health.status_code == 200 and created.status_code == 201
    assert host.task is not None and host.task.done()


def test_api_switch() -> None:
    class Args:
        api = None

    assert api_requested(Args(), kiosk=True, environ={}) and not api_requested(Args(), kiosk=False, environ={})
    assert api_requested(Args(), kiosk=False, environ={"LIVEGATE_API": "1"})
    assert not api_requested(Args(), kiosk=True, environ={"LIVEGATE_API": "off"})
    Args.api = False
    assert not api_requested(Args(), kiosk=True, environ={"LIVEGATE_API": "1"})


# --- history ----------------------------------------------------------------------------------------------


def test_history_search_detail_export_and_delete(qtbot, build, tmp_path: Path) -> None:
    service = make_service(tmp_path / "seeded", kiosk=True)  # a stand-in kiosk runs the seeded sessions
    ids = {}
    for ref, decision in (("C-1", "pass"), ("C-2", "fail"), ("C-3", None)):
        sid = service.create(customer_ref=ref, operator_ref="desk 3").id
        service.start(sid)
        if decision is None:
            service.error(sid, "camera_stalled: no new frame for 1.3 s")
        else:
            service.complete(sid, synthetic_result(sid, decision=decision, audit=1))
        ids[ref] = sid
    window = build(Puppet(), service=service)
    try:
        page = window.history_page
        found: list[int] = []
        shown: list[str] = []
        page.searched.connect(found.append)
        page.detailShown.connect(shown.append)
        assert window.start_page.history_button.isVisible()
        qtbot.mouseClick(window.start_page.history_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: found == [3], timeout=5000)
        assert window.page_name == "history" and page.table.rowCount() == 3
        assert page.table.item(0, 3).text() == "C-3" and page.table.item(0, 1).text() == "Error"  # newest first

        def search(**change: object) -> int:
            found.clear()
            for name, value in change.items():
                if name == "status":
                    page.status.setCurrentIndex(page.status.findData(value))
                elif name == "customer":
                    page.customer.setText(str(value))
                elif name == "dates":
                    page.since.setDate(value[0])  # type: ignore[index]
                    page.until.setDate(value[1])  # type: ignore[index]
            qtbot.keyClick(page.customer, Qt.Key.Key_Return)  # Enter in the reference field searches
            qtbot.waitUntil(lambda: bool(found), timeout=5000)
            return found[0]

        assert search(status="SUCCEEDED") == 2
        assert search(customer="C-2") == 1 and page.table.item(0, 2).text() == "Fail"
        today = QDate.currentDate()
        assert search(status="", customer="", dates=(today.addDays(-60), today.addDays(-1))) == 0
        found.clear()
        page.since.setDate(today.addDays(1))
        page.search_button.click()
        assert "after" in page.message.text() and found == []  # a reversed range is explained, not searched
        page.reset_filters()
        assert search() == 3

        shown.clear()
        page.select(ids["C-1"])
        qtbot.waitUntil(lambda: ids["C-1"] in shown, timeout=5000)
        assert "The face reflected the screen's colours." in page.reasons.text()
        assert page.reference.isVisible() and not page.reference.pixmap().isNull()
        assert "desk 3" in page.detail_text.text() and "Confidence: 88" in page.detail_text.text()

        out = tmp_path / "export.zip"
        page.select(ids["C-1"], ids["C-2"])
        with qtbot.waitSignal(page.exported, timeout=10000):
            page.export_to(out)
        with zipfile.ZipFile(out) as zf:
            names = zf.namelist()
        assert "manifest.json" in names
        assert sum(n.endswith("reference.jpg") for n in names) == 2 and not any(ids["C-3"] in n for n in names)

        page.select(ids["C-3"])
        qtbot.keyClick(page.table, Qt.Key.Key_Delete)  # the Delete key asks first
        box = page._confirm
        assert isinstance(box, QMessageBox) and box.isVisible()
        with qtbot.waitSignal(page.deleted, timeout=10000) as deleted:
            box.button(QMessageBox.StandardButton.Yes).click()
        assert deleted.args[0] == [ids["C-3"]]
        with pytest.raises(SessionNotFound):
            service.get(ids["C-3"])
        qtbot.waitUntil(lambda: page.table.rowCount() == 2, timeout=5000)

        qtbot.keyClick(window, Qt.Key.Key_Escape)
        assert window.page_name == "start" and page.table.rowCount() == 0 and page.reference.pixmap().isNull()
    finally:
        window.allow_close()
        window.close()
        service.close()


def test_the_clerk_s_references_are_stored_with_the_session(qtbot, build) -> None:
    puppet = Puppet()
    window = build(puppet)
    window.countdown_s = 1
    page = window.start_page
    assert page.refs_box.isVisible()
    page.customer_ref.setText("order-77\x07")
    page.operator_ref.setText("desk 3")
    page.start.click()
    window.get_ready_page.consent.setChecked(True)
    with qtbot.waitSignal(window.controller.recordFinished, timeout=20000) as finished:
        window.get_ready_page.begin.click()
        wait_page(qtbot, window, "guidance")
        window.go_home()
    record = finished.args[0]
    assert (record.settings.customer_ref, record.settings.operator_ref) == ("order-77", "desk 3")
