"""The feeds dialog: adding by address with the kind detected, editing, credentials in the keyring (or for this
run only, said plainly), removing, and OPML in and out; the table model under Qt's model tester."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QMessageBox
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot
from workertools import MemoryKeyring, NoKeyring, add_feeds, running_worker, wait_worker

from readinglist.core.credentials import SERVICE, Credential, CredentialStore
from readinglist.core.feeds import FeedKind, FeedListing, FeedRegistry, FeedSpec
from readinglist.core.library import Library
from readinglist.ui.feeds.credentials import CredentialDialog
from readinglist.ui.feeds.dialog import FeedsDialog
from readinglist.ui.feeds.jobs import load_feeds
from readinglist.ui.feeds.table import (
    COL_GROUP,
    COL_LAST_ERROR,
    COL_NAME,
    COL_STATUS,
    COL_UNREAD,
    COLUMN_COUNT,
    LISTING_ROLE,
    FeedTableModel,
)
from readinglist.ui.feeds.words import ago, describe_address, detect
from readinglist.ui.worker import LibraryWorker

DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.fixture
def keyring_backend() -> MemoryKeyring:
    return MemoryKeyring()


@pytest.fixture
def worker(qtbot: QtBot, data_dir: Path) -> Iterator[LibraryWorker]:
    with running_worker(qtbot, data_dir) as w:
        yield w


@pytest.fixture
def dialog(qtbot: QtBot, worker: LibraryWorker, keyring_backend: MemoryKeyring) -> FeedsDialog:
    store = CredentialStore(backend=keyring_backend)
    d = FeedsDialog(worker, lambda: store)
    qtbot.addWidget(d)
    d.show()
    wait_loaded(qtbot, d)
    return d


def wait_loaded(qtbot: QtBot, dialog: FeedsDialog) -> None:
    if not dialog.busy:
        with qtbot.waitSignal(dialog.loaded, timeout=5000):
            dialog.reload()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=5000)


def registry_on_disk(data_dir: Path) -> list:  # type: ignore[type-arg]
    with Library.open(data_dir, writer=False) as lib:
        return FeedRegistry(lib.store).feeds()


def names(dialog: FeedsDialog) -> list[str]:
    return [dialog.model.index(r, COL_NAME).data() for r in range(dialog.model.rowCount())]


def test_feed_table_model_passes_the_model_tester(qtmodeltester: ModelTester, data_dir: Path) -> None:
    add_feeds(
        data_dir,
        FeedSpec("cs.CL"),
        FeedSpec("https://example.org/feed.xml", name="Example", group="Journals"),
        FeedSpec("https://huggingface.co/api/daily_papers", group="Daily"),
    )
    with Library.open(data_dir) as lib:
        listings = load_feeds(lib)
        registry = FeedRegistry(lib.store)
        registry.update(listings[1].feed.id, last_error="Example: HTTP 404, the address is wrong", failures=2)
        failing = load_feeds(lib)
    model = FeedTableModel()
    qtmodeltester.check(model)
    model.set_listings(listings)
    qtmodeltester.check(model)
    assert model.rowCount() == 3 and model.columnCount() == COLUMN_COUNT
    # By group (none first), then name.
    assert [model.index(r, COL_GROUP).data() for r in range(3)] == ["", "Daily", "Journals"]
    changed: list[int] = []
    model.dataChanged.connect(lambda top, _bottom, _roles: changed.append(top.row()))
    model.set_listings(failing)  # same feeds: only the changed row redraws
    qtmodeltester.check(model)
    row = model.row_of(listings[1].feed.id)
    assert changed == [row]
    assert model.index(row, COL_STATUS).data() == "Error"
    assert "HTTP 404" in model.index(row, COL_LAST_ERROR).data()
    assert "2 tries in a row" in model.index(row, COL_STATUS).data(Qt.ItemDataRole.ToolTipRole)
    assert isinstance(model.index(row, COL_NAME).data(LISTING_ROLE), FeedListing)
    model.set_listings(failing[:1])
    qtmodeltester.check(model)
    assert model.rowCount() == 1


def test_the_kind_is_detected_as_the_address_is_typed() -> None:
    assert detect("cs.CL+cs.LG", None) == ("https://rss.arxiv.org/rss/cs.CL+cs.LG", FeedKind.RSS)
    url, kind = detect("ti:diffusion AND cat:cs.CV", None)
    assert kind is FeedKind.ARXIV_QUERY and url.startswith("https://export.arxiv.org/api/query")
    assert detect("https://huggingface.co/papers", None)[1] is FeedKind.HF_DAILY
    assert detect("", FeedKind.HF_DAILY)[1] is FeedKind.HF_DAILY
    assert detect("https://www.nature.com/nature.rss", None)[1] is FeedKind.RSS
    ok, text = describe_address("cs.CL+cs.LG", None)
    assert ok and "cs.CL, cs.LG" in text
    ok, text = describe_address("/home/me/feed.xml", None)
    assert not ok and "files are not subscriptions" in text
    assert ago(None) == "never"


def test_add_by_address_selects_the_feed_and_asks_for_its_refresh(
    qtbot: QtBot, dialog: FeedsDialog, data_dir: Path
) -> None:
    assert dialog.empty.isVisible() and not dialog.table.isVisible()
    qtbot.keyClicks(dialog.address, "cs.CL")
    assert "arXiv's daily announcements in cs.CL" in dialog.detected.text()
    assert dialog.add_button.isEnabled()
    with qtbot.waitSignal(dialog.refresh_requested) as asked:
        qtbot.keyClick(dialog.address, Qt.Key.Key_Return)
    wait_loaded(qtbot, dialog)
    assert names(dialog) == ["arXiv cs.CL"] and dialog.table.isVisible()
    feed = registry_on_disk(data_dir)[0]
    assert asked.args[0] == [feed.id] and dialog.current_feed_id() == feed.id
    assert dialog.name_edit.text() == "arXiv cs.CL" and dialog.address.text() == ""
    assert "Subscribed to arXiv cs.CL" in dialog.feedback.text()
    # Only arXiv's category feeds have announce types to choose.
    assert dialog.type_boxes["new"].isEnabled() and dialog.type_boxes["new"].isChecked()

    # The same address again: refused, in words, and nothing added.
    dialog.add_feed(url="https://rss.arxiv.org/rss/cs.CL")
    qtbot.waitUntil(lambda: not dialog.busy)
    assert "Already subscribed" in dialog.feedback.text() and len(registry_on_disk(data_dir)) == 1
    qtbot.keyClicks(dialog.address, "not a feed")
    assert not dialog.add_button.isEnabled() and "not a feed address" in dialog.detected.text()


def test_edit_settings_are_saved(qtbot: QtBot, data_dir: Path, keyring_backend: MemoryKeyring) -> None:
    (feed,) = add_feeds(data_dir, FeedSpec("cs.LG"))
    with running_worker(qtbot, data_dir) as worker:
        dialog = FeedsDialog(worker, lambda: CredentialStore(backend=keyring_backend))
        qtbot.addWidget(dialog)
        dialog.show()
        wait_loaded(qtbot, dialog)
        assert dialog.current_feed_id() == feed.id and not dialog.save_button.isEnabled()
        dialog.name_edit.clear()
        qtbot.keyClicks(dialog.name_edit, "Machine learning")
        dialog.group_edit.setEditText(" Work / ML ")
        dialog.interval_value.setValue(6)
        dialog.interval_unit.setCurrentIndex(1)  # hours
        dialog.type_boxes["replace"].setChecked(True)
        assert dialog.save_button.isEnabled()
        changed: list[bool] = []
        dialog.feeds_changed.connect(lambda: changed.append(True))
        qtbot.keyClick(dialog.name_edit, Qt.Key.Key_Return)
        wait_loaded(qtbot, dialog)
        assert changed and not dialog.save_button.isEnabled()
        assert names(dialog) == ["Machine learning"]
        assert "Saved Machine learning: every 6 hours, in Work/ML" in dialog.feedback.text()

        # A refusal from the library is said in its words; nothing changes.
        dialog.interval_value.setValue(1)
        dialog.interval_unit.setCurrentIndex(0)  # 1 minute
        dialog.save_current()
        qtbot.waitUntil(lambda: not dialog.busy)
        assert "shortest refresh interval is 5 minutes" in dialog.feedback.text()
    (saved,) = registry_on_disk(data_dir)
    assert (saved.name, saved.group, saved.interval) == ("Machine learning", "Work/ML", 6 * 3600)
    assert saved.adding_types == ("new", "cross", "replace")


def test_a_feeds_kind_can_be_changed_after_it_was_added(
    qtbot: QtBot, data_dir: Path, keyring_backend: MemoryKeyring
) -> None:
    (feed,) = add_feeds(data_dir, FeedSpec("https://mirror.example/daily_papers.json"))
    assert feed.kind is FeedKind.RSS  # detection could only guess from the address
    with running_worker(qtbot, data_dir) as worker:
        dialog = FeedsDialog(worker, lambda: CredentialStore(backend=keyring_backend))
        qtbot.addWidget(dialog)
        dialog.show()
        wait_loaded(qtbot, dialog)
        assert dialog.kind_edit.currentData() is FeedKind.RSS and not dialog.save_button.isEnabled()
        dialog.kind_edit.setCurrentIndex(dialog.kind_edit.findData(FeedKind.HF_DAILY))
        assert dialog.save_button.isEnabled()
        dialog.save_current()
        wait_loaded(qtbot, dialog)
        assert "(Hugging Face daily)" in dialog.url_label.text()
    (saved,) = registry_on_disk(data_dir)
    assert saved.kind is FeedKind.HF_DAILY and saved.url == "https://mirror.example/daily_papers.json"


def test_credentials_go_to_the_keyring_and_never_to_the_library(
    qtbot: QtBot, dialog: FeedsDialog, data_dir: Path, keyring_backend: MemoryKeyring
) -> None:
    dialog.add_feed(url="https://journal.example.org/private.rss")
    wait_loaded(qtbot, dialog)
    feed_id = dialog.current_feed_id()
    assert feed_id is not None and dialog.auth_label.text() == "None"
    with qtbot.waitSignal(dialog.refresh_requested):
        dialog.set_credentials(Credential(username="alice", password="s3cret-pw"))
    wait_loaded(qtbot, dialog)
    assert keyring_backend.data[(SERVICE, f"feed:{feed_id}")]
    assert dialog.auth_label.text() == "User name and password, in the system keyring"
    assert "saved in the system keyring" in dialog.feedback.text()
    assert dialog.forget_button.isEnabled()
    text = "".join(p.read_bytes().decode("utf-8", "replace") for p in data_dir.rglob("*") if p.is_file())
    assert "s3cret-pw" not in text

    dialog.forget_credentials()
    wait_loaded(qtbot, dialog)
    assert keyring_backend.data == {} and dialog.auth_label.text() == "None"
    assert registry_on_disk(data_dir)[0].auth == ""


def test_without_a_keyring_the_warning_is_plain_and_the_credentials_last_this_run(
    qtbot: QtBot, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_feeds(data_dir, FeedSpec("https://journal.example.org/private.rss", name="Private journal"))
    store = CredentialStore(backend=NoKeyring())
    with running_worker(qtbot, data_dir) as worker:
        dialog = FeedsDialog(worker, lambda: store)
        qtbot.addWidget(dialog)
        dialog.show()
        wait_loaded(qtbot, dialog)
        seen: list[str] = []

        def fill_in(credential_dialog: CredentialDialog) -> int:  # the user, at the credential dialog
            seen.append(credential_dialog.note.text())
            credential_dialog.token_choice.setChecked(True)
            credential_dialog.token.setText("tok-123")
            return int(QDialog.DialogCode.Accepted.value)

        monkeypatch.setattr("readinglist.ui.feeds.credentials.CredentialDialog.exec", fill_in)
        dialog.set_credentials()
        qtbot.waitUntil(lambda: "kept for this run only" in dialog.auth_label.text(), timeout=5000)
        assert seen and seen[0].startswith("⚠ No system keyring is available")
        assert "kept for this run only" in dialog.feedback.text()
        feed_id = dialog.current_feed_id()
        assert feed_id is not None
        assert store.get(feed_id) == Credential(token="tok-123")
    assert registry_on_disk(data_dir)[0].auth == "token"


def test_remove_asks_first_and_keeps_the_papers(
    qtbot: QtBot, dialog: FeedsDialog, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dialog.add_feed(url="cs.CL")
    wait_loaded(qtbot, dialog)
    dialog.add_feed(url="cs.LG")
    wait_loaded(qtbot, dialog)
    assert names(dialog) == ["arXiv cs.CL", "arXiv cs.LG"]
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Cancel)
    dialog.remove_current()
    assert len(registry_on_disk(data_dir)) == 2
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    dialog.table.setFocus()
    qtbot.keyClick(dialog.table, Qt.Key.Key_Delete)
    wait_loaded(qtbot, dialog)
    assert names(dialog) == ["arXiv cs.CL"]
    assert "Unsubscribed from arXiv cs.LG" in dialog.feedback.text()
    assert [f.name for f in registry_on_disk(data_dir)] == ["arXiv cs.CL"]


def test_opml_in_and_out(qtbot: QtBot, dialog: FeedsDialog, data_dir: Path, tmp_path: Path) -> None:
    with qtbot.waitSignal(dialog.refresh_requested) as asked:
        dialog.import_opml(DATA / "newsboat_example.opml")
    wait_loaded(qtbot, dialog)
    feeds = registry_on_disk(data_dir)
    assert len(feeds) > 1 and sorted(asked.args[0]) == sorted(f.id for f in feeds)
    assert dialog.model.rowCount() == len(feeds)
    assert f"newsboat_example.opml: {len(feeds)} feeds added" in dialog.feedback.text()

    dialog.import_opml(DATA / "newsboat_example.opml")  # again: every feed skipped, said so
    qtbot.waitUntil(lambda: not dialog.busy)
    assert f"{len(feeds)} skipped" in dialog.feedback.text() and "Skipped" in dialog.feedback.text()

    bad = tmp_path / "bad.opml"
    bad.write_text("<opml><body><outline", encoding="utf-8")
    dialog.import_opml(bad)
    qtbot.waitUntil(lambda: not dialog.busy)
    assert dialog.feedback.text().startswith("⚠") and "not a well-formed OPML file" in dialog.feedback.text()

    out = tmp_path / "feeds.opml"
    dialog.export_opml(out)
    qtbot.waitUntil(lambda: not dialog.busy)
    assert f"{len(feeds)} feeds written to {out}" == dialog.feedback.text()
    text = out.read_text(encoding="utf-8")
    assert text.count("xmlUrl=") == len(feeds)
    dialog.export_opml(tmp_path / "missing" / "feeds.opml")
    qtbot.waitUntil(lambda: not dialog.busy)
    assert "does not exist" in dialog.feedback.text()


def test_unread_counts_and_errors_show_in_the_table(qtbot: QtBot, sample_dir: Path) -> None:
    (feed,) = add_feeds(sample_dir, FeedSpec("https://example.org/rss", name="Example"))
    with Library.open(sample_dir) as lib:
        FeedRegistry(lib.store).update(feed.id, last_error="Example: HTTP 404, the address is wrong")
    with running_worker(qtbot, sample_dir) as worker:
        dialog = FeedsDialog(worker, lambda: None)
        qtbot.addWidget(dialog)
        dialog.show()
        wait_loaded(qtbot, dialog)
        assert dialog.model.index(0, COL_STATUS).data() == "Error"
        assert dialog.model.index(0, COL_UNREAD).data() == ""
        assert "Last error: HTTP 404, the address is wrong" in dialog.state_label.text()


def test_the_kind_picker_goes_back_to_detect_after_a_feed_is_added(
    qtbot: QtBot, dialog: FeedsDialog, data_dir: Path
) -> None:
    hf = dialog.kind.findData(FeedKind.HF_DAILY)
    dialog.kind.setCurrentIndex(hf)
    qtbot.keyClicks(dialog.address, "https://huggingface.co/api/daily_papers")
    with qtbot.waitSignal(dialog.refresh_requested):
        qtbot.keyClick(dialog.address, Qt.Key.Key_Return)
    wait_loaded(qtbot, dialog)
    # The next address is another kind: it must be detected, not subscribed as Hugging Face daily papers.
    assert dialog.kind.currentData() is None
    qtbot.keyClicks(dialog.address, "https://journal.example.org/rss")
    with qtbot.waitSignal(dialog.refresh_requested):
        qtbot.keyClick(dialog.address, Qt.Key.Key_Return)
    wait_loaded(qtbot, dialog)
    kinds = {f.url: f.kind for f in registry_on_disk(data_dir)}
    assert kinds["https://journal.example.org/rss"] is FeedKind.RSS


def test_a_feeds_notifications_can_be_turned_off(qtbot: QtBot, data_dir: Path, keyring_backend: MemoryKeyring) -> None:
    (feed,) = add_feeds(data_dir, FeedSpec("cs.LG"))
    with running_worker(qtbot, data_dir) as worker:
        d = FeedsDialog(worker, lambda: CredentialStore(backend=keyring_backend))
        qtbot.addWidget(d)
        d.show()
        wait_loaded(qtbot, d)
        d.select_feed(feed.id)
        assert d.notify_box.isChecked()
        d.notify_box.setChecked(False)
        assert d.save_button.isEnabled()
        d.save_current()
        wait_loaded(qtbot, d)
        wait_worker(qtbot, worker)
    assert registry_on_disk(data_dir)[0].notify is False


def test_a_web_page_is_replaced_by_its_feed_or_its_feeds_are_offered(
    qtbot: QtBot, worker: LibraryWorker, keyring_backend: MemoryKeyring, data_dir: Path
) -> None:
    from workertools import FeedServer, Route

    server = FeedServer().start()
    try:
        link = '<link rel="alternate" type="application/rss+xml" title="{t}" href="{h}">'
        server.routes["/one"] = Route(
            body=f"<!DOCTYPE html><html><head>{link.format(t='Lab papers', h='/feed.xml')}</head></html>".encode(),
            headers={"Content-Type": "text/html"},
        )
        two = link.format(t="Papers", h="/papers.xml") + link.format(t="News", h="/news.xml")
        server.routes["/two"] = Route(
            body=f"<!DOCTYPE html><html><head>{two}</head></html>".encode(), headers={"Content-Type": "text/html"}
        )
        d = FeedsDialog(worker, lambda: CredentialStore(backend=keyring_backend), check_addresses=True)
        qtbot.addWidget(d)
        d.show()
        wait_loaded(qtbot, d)
        with qtbot.waitSignal(d.refresh_requested, timeout=10_000):
            d.add_feed(url=server.url("/one"))
        assert "is a web page; its feed is Lab papers" in d.feedback.text()
        wait_loaded(qtbot, d)
        assert [f.url for f in registry_on_disk(data_dir)] == [server.url("/feed.xml")]

        d.add_feed(url=server.url("/two"))
        qtbot.waitUntil(lambda: "Add one:" in d.feedback.text(), timeout=10_000)
        assert "Papers" in d.feedback.text() and "News" in d.feedback.text()
        assert len(registry_on_disk(data_dir)) == 1  # nothing subscribed yet
        with qtbot.waitSignal(d.refresh_requested, timeout=10_000):
            d.feedback.linkActivated.emit(server.url("/news.xml"))  # the user clicks "News"
        wait_loaded(qtbot, d)
        assert server.url("/news.xml") in [f.url for f in registry_on_disk(data_dir)]
    finally:
        server.stop()
