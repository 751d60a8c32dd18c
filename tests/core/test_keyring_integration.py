"""A real Secret Service: gnome-keyring started under dbus-run-session by this test, then the credential module
stores, reads and deletes a credential in it and a refresh fetches a feed behind Basic auth with it.

The test runs this same file as a script inside the D-Bus session (`inner()` below), so the keyring, its D-Bus
session and the user's real keyrings never meet: HOME and XDG_DATA_HOME point into the test's temporary folder.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

HERE = Path(__file__).resolve()
SECRET = "s3cret-integration-pw"


@pytest.mark.keyring_integration
def test_secret_service_round_trip_and_basic_auth_feed(tmp_path: Path) -> None:
    missing = [tool for tool in ("dbus-run-session", "gnome-keyring-daemon") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"{' and '.join(missing)} not installed (apt-get install gnome-keyring dbus)")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBUS_", "GNOME_KEYRING", "XDG_RUNTIME"))}
    env.update(
        HOME=str(tmp_path / "home"),
        XDG_DATA_HOME=str(tmp_path / "home" / ".local" / "share"),
        XDG_CONFIG_HOME=str(tmp_path / "home" / ".config"),
        XDG_CACHE_HOME=str(tmp_path / "home" / ".cache"),
        PYTHONDONTWRITEBYTECODE="1",
    )
    (tmp_path / "home").mkdir()
    script = (
        "echo -n pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1; "
        f'exec "{sys.executable}" -W error "{HERE}" inner "{tmp_path / "data"}"'
    )
    proc = subprocess.run(
        ["dbus-run-session", "--", "sh", "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    assert "INTEGRATION OK" in proc.stdout
    # Nothing secret in the library the inner run wrote.
    for path in (tmp_path / "data").rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path


def inner(data_dir: Path) -> None:
    """Runs inside the D-Bus session with gnome-keyring unlocked."""
    import keyring

    from readinglist.core.credentials import SERVICE, Credential, CredentialStore
    from readinglist.core.feeds import FeedRegistry, FeedSpec, subscribe
    from readinglist.core.fetcher import FeedFetcher
    from readinglist.core.library import Library
    from readinglist.core.refresh import RefreshOutcome, refresh_feeds

    sys.path.insert(0, str(HERE.parent))
    from feedtools import FeedServer, Route, fixture

    backend = keyring.get_keyring()
    assert "SecretService" in type(backend).__module__, f"keyring chose {backend!r}"
    store = CredentialStore()
    assert store.available(), store.unavailable_reason

    # Store, read back (through a fresh store: from the Secret Service, not memory), delete.
    store.save("f-probe", Credential("alice", SECRET))
    assert CredentialStore().get("f-probe") == Credential("alice", SECRET)
    assert keyring.get_password(SERVICE, "feed:f-probe") is not None
    store.delete("f-probe")
    assert CredentialStore().get("f-probe") is None
    assert keyring.get_password(SERVICE, "feed:f-probe") is None

    # A feed behind Basic auth, its credentials given in the URL: moved to the Secret Service, then used.
    server = FeedServer().start()
    try:
        server.routes["/private"] = Route(body=fixture("arxiv_rss_cs.CL.xml"), basic_auth=("alice", SECRET))
        with Library.open(data_dir) as library:
            registry = FeedRegistry(library.store)
            url = server.url("/private").replace("http://", f"http://alice:{SECRET}@")
            done = subscribe(registry, FeedSpec(url=url, name="Private"), credentials=store)
            assert done.credential_saved is True and SECRET not in done.feed.url
            with FeedFetcher(read_timeout=5.0) as fetcher:
                summary = refresh_feeds(library, registry, fetcher=fetcher, credentials=CredentialStore())
            (result,) = summary.results
            assert result.outcome is RefreshOutcome.UPDATED, result.error
            assert len(result.new) == 3
            store.delete(done.feed.id)
            assert CredentialStore().get(done.feed.id) is None
    finally:
        server.stop()
    print("INTEGRATION OK")


if __name__ == "__main__" and len(sys.argv) == 3 and sys.argv[1] == "inner":
    inner(Path(sys.argv[2]) if sys.argv[2] else Path(tempfile.mkdtemp()))
