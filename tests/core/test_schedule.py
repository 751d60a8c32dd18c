"""The daily schedule: systemd user units written and enabled through a fake systemctl, the cron fallback, the
time of day, remove and status. Nothing here touches the real systemd or crontab."""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from readinglist.core.errors import ReadingListError
from readinglist.core.schedule import (
    SERVICE,
    TIMER,
    Plan,
    ScheduleError,
    cron_line,
    install,
    parse_time,
    remove,
    status,
)

Reply = tuple[int, str, str]  # returncode, stdout, stderr


class FakeSystemctl:
    """Records every argv; answers from `replies`, keyed by the words after `systemctl --user` (the longest
    matching prefix wins), else exit 0 with no output."""

    def __init__(self, replies: dict[tuple[str, ...], Reply | Callable[[], Reply]] | None = None) -> None:
        self.calls: list[list[str]] = []
        self.replies = {("is-system-running",): (0, "running\n", ""), **(replies or {})}

    def __call__(self, argv: list[str]) -> subprocess.CompletedProcess[str]:
        self.calls.append(list(argv))
        assert argv[:2] == ["systemctl", "--user"]
        words = tuple(argv[2:])
        for n in range(len(words), 0, -1):
            reply = self.replies.get(words[:n])
            if reply is not None:
                code, out, err = reply() if callable(reply) else reply
                return subprocess.CompletedProcess(argv, code, out, err)
        return subprocess.CompletedProcess(argv, 0, "", "")

    def verbs(self) -> list[str]:
        return [" ".join(call[2:4]) for call in self.calls]


def no_systemctl(argv: list[str]) -> subprocess.CompletedProcess[str]:
    raise FileNotFoundError(2, "No such file or directory", argv[0])


@pytest.fixture
def odd_paths(tmp_path: Path) -> tuple[Path, Path]:
    program = tmp_path / "my tools 100%" / "bin" / "reading$list"
    data_dir = tmp_path / "Papers & notes" / "lib %h"
    return program, data_dir


def exec_starts(service: str) -> list[list[str]]:
    """Each ExecStart's argv as systemd reads it: %% and $$ undone, then split as a shell would (the quoting
    written is the double-quote subset both share); the ignore-failure prefix `-` is taken off the first word."""
    commands = []
    for line in service.splitlines():
        if line.startswith("ExecStart="):
            argv = shlex.split(line.removeprefix("ExecStart=").replace("%%", "%").replace("$$", "$"))
            argv[0] = argv[0].removeprefix("-")
            if argv[0] == "/usr/bin/env":
                del argv[0]
            commands.append(argv)
    return commands


def test_install_with_systemd_writes_both_units_and_enables_the_timer(
    tmp_path: Path, odd_paths: tuple[Path, Path]
) -> None:
    program, data_dir = odd_paths
    fake = FakeSystemctl()
    done = install(Plan("07:30", program, data_dir), config_home=tmp_path / "config", run=fake)

    folder = tmp_path / "config" / "systemd" / "user"
    assert done.kind == "systemd"
    assert done.files == (folder / SERVICE, folder / TIMER)
    assert done.cron_line == ""
    assert "07:30" in done.message and TIMER in done.message

    timer = (folder / TIMER).read_text()
    assert "OnCalendar=*-*-* 07:30:00" in timer.splitlines()
    assert "Persistent=true" in timer.splitlines()
    assert "WantedBy=timers.target" in timer.splitlines()

    service = (folder / SERVICE).read_text()
    assert "Type=oneshot" in service.splitlines()
    assert any(line.startswith("Description=") for line in service.splitlines())
    base = [str(program), "--data-dir", str(data_dir)]
    assert exec_starts(service) == [[*base, "refresh"], [*base, "digest", "--send"]]
    # The refresh may fail (one feed down) without stopping the digest.
    first = next(line for line in service.splitlines() if line.startswith("ExecStart="))
    assert first.startswith(("ExecStart=-", 'ExecStart="-'))
    assert "password" not in service.lower()
    assert not list(folder.glob("*.tmp"))

    assert fake.verbs()[-2:] == ["daemon-reload", "enable --now"]
    assert fake.calls[-1] == ["systemctl", "--user", "enable", "--now", TIMER]


def test_install_again_replaces_the_time(tmp_path: Path) -> None:
    fake = FakeSystemctl()
    install(Plan("07:30", Path("/usr/bin/readinglist"), Path("/d")), config_home=tmp_path, run=fake)
    install(Plan("18:05", Path("/usr/bin/readinglist"), Path("/d")), config_home=tmp_path, run=fake)
    timer = (tmp_path / "systemd" / "user" / TIMER).read_text()
    assert "OnCalendar=*-*-* 18:05:00" in timer and "07:30" not in timer


def test_a_program_name_systemd_refuses_runs_through_env(tmp_path: Path) -> None:
    program = tmp_path / 'it\'s "here"' / "read\\inglist"
    install(Plan("07:30", program, tmp_path / "d"), config_home=tmp_path, run=FakeSystemctl())
    service = (tmp_path / "systemd" / "user" / SERVICE).read_text()
    assert all(
        line.startswith(("ExecStart=/usr/bin/env ", "ExecStart=-/usr/bin/env "))
        for line in service.splitlines()
        if "ExecStart" in line
    )
    assert exec_starts(service)[0] == [str(program), "--data-dir", str(tmp_path / "d"), "refresh"]


def test_degraded_systemd_still_counts(tmp_path: Path) -> None:
    fake = FakeSystemctl({("is-system-running",): (1, "degraded\n", "")})
    assert install(Plan("07:30", Path("/p"), Path("/d")), config_home=tmp_path, run=fake).kind == "systemd"


def test_no_systemctl_gives_a_cron_line_and_writes_nothing(tmp_path: Path, odd_paths: tuple[Path, Path]) -> None:
    program, data_dir = odd_paths
    done = install(Plan("07:30", program, data_dir), config_home=tmp_path, run=no_systemctl)
    assert done.kind == "cron"
    assert done.files == ()
    assert not any(tmp_path.iterdir())
    assert done.cron_line.startswith("30 7 * * * ")
    assert done.cron_line in done.message and "crontab -e" in done.message
    # cron turns a bare % into a newline; the shell then reads the quoted paths back.
    command = done.cron_line.removeprefix("30 7 * * * ")
    assert "%" not in command.replace("\\%", "")
    lexer = shlex.shlex(command.replace("\\%", "%"), posix=True, punctuation_chars=";")
    lexer.whitespace_split = True
    words = list(lexer)
    base = [str(program), "--data-dir", str(data_dir)]
    assert words == [*base, "refresh", ";", *base, "digest", "--send"]


def test_systemd_offline_falls_back_to_cron(tmp_path: Path) -> None:
    fake = FakeSystemctl(
        {("is-system-running",): (1, "offline\n", ""), ("show-environment",): (1, "", "Failed to connect to bus")}
    )
    done = install(Plan("7:05", Path("/p"), Path("/d")), config_home=tmp_path, run=fake)
    assert done.kind == "cron" and done.cron_line.startswith("5 7 * * * ")
    assert not (tmp_path / "systemd").exists()


def test_enable_failing_raises_with_systemctls_words(tmp_path: Path) -> None:
    fake = FakeSystemctl({("enable",): (1, "", "Failed to enable unit: Access denied\n")})
    with pytest.raises(ScheduleError, match="Access denied") as caught:
        install(Plan("07:30", Path("/p"), Path("/d")), config_home=tmp_path, run=fake)
    assert isinstance(caught.value, ReadingListError)
    assert "systemctl" in str(caught.value)
    # Nothing removed: the units stay for the user to look at, or for `schedule remove`.
    assert (tmp_path / "systemd" / "user" / TIMER).exists()


def test_daemon_reload_failing_raises(tmp_path: Path) -> None:
    fake = FakeSystemctl({("daemon-reload",): (1, "", "Failed to reload daemon: Transport endpoint")})
    with pytest.raises(ScheduleError, match="Transport endpoint"):
        install(Plan("07:30", Path("/p"), Path("/d")), config_home=tmp_path, run=fake)
    assert not any(call[2:3] == ["enable"] for call in fake.calls)


@pytest.mark.parametrize("bad", ["7", "25:00", "07:60", "", "  ", "7:5", "07:30:00", "-1:00", "٠٧:٣٠", "ab:cd"])
def test_bad_times_are_refused(bad: str) -> None:
    with pytest.raises(ScheduleError, match="is not a time of day"):
        Plan(bad, Path("/p"), Path("/d"))


def test_the_sentence_names_the_time() -> None:
    with pytest.raises(ScheduleError, match=r"^25:00 is not a time of day \(HH:MM"):
        parse_time("25:00")


@pytest.mark.parametrize(
    ("text", "at"), [("7:05", "07:05"), ("00:00", "00:00"), ("23:59", "23:59"), (" 9:00 ", "09:00")]
)
def test_good_times_are_normalised(text: str, at: str) -> None:
    assert Plan(text, Path("/p"), Path("/d")).at == at


def test_relative_paths_are_refused() -> None:
    with pytest.raises(ScheduleError, match="absolute"):
        Plan("07:30", Path("readinglist"), Path("/d"))
    with pytest.raises(ScheduleError, match="absolute"):
        Plan("07:30", Path("/p"), Path("library"))


def test_send_false_only_refreshes(tmp_path: Path) -> None:
    plan = Plan("06:00", Path("/opt/rl/bin/readinglist"), Path("/data"), send=False)
    install(plan, config_home=tmp_path, run=FakeSystemctl())
    service = (tmp_path / "systemd" / "user" / SERVICE).read_text()
    assert exec_starts(service) == [["/opt/rl/bin/readinglist", "--data-dir", "/data", "refresh"]]
    assert "ExecStart=-" not in service  # the only step: its failure shows
    line = cron_line(plan)
    assert line == "0 6 * * * /opt/rl/bin/readinglist --data-dir /data refresh"
    assert "digest" not in line


def test_remove_disables_and_deletes(tmp_path: Path) -> None:
    fake = FakeSystemctl()
    install(Plan("07:30", Path("/p"), Path("/d")), config_home=tmp_path, run=fake)
    wants = tmp_path / "systemd" / "user" / "timers.target.wants"
    wants.mkdir()
    (wants / TIMER).symlink_to(tmp_path / "systemd" / "user" / TIMER)
    fake.calls.clear()

    message = remove(config_home=tmp_path, run=fake)
    assert fake.calls[0] == ["systemctl", "--user", "disable", "--now", TIMER]
    assert fake.verbs()[-1] == "daemon-reload"
    assert not (tmp_path / "systemd" / "user" / TIMER).exists()
    assert not (tmp_path / "systemd" / "user" / SERVICE).exists()
    assert not (wants / TIMER).is_symlink()
    assert TIMER in message and SERVICE in message


def test_remove_ignores_a_timer_systemd_never_loaded(tmp_path: Path) -> None:
    install(Plan("07:30", Path("/p"), Path("/d")), config_home=tmp_path, run=FakeSystemctl())
    fake = FakeSystemctl({("disable",): (1, "", f"Failed to disable unit: Unit {TIMER} not loaded.")})
    assert "Removed" in remove(config_home=tmp_path, run=fake)
    assert not (tmp_path / "systemd" / "user" / TIMER).exists()


def test_remove_without_systemctl_still_deletes(tmp_path: Path) -> None:
    install(Plan("07:30", Path("/p"), Path("/d")), config_home=tmp_path, run=FakeSystemctl())
    assert "Removed" in remove(config_home=tmp_path, run=no_systemctl)
    assert not list((tmp_path / "systemd" / "user").iterdir())


def test_remove_refused_by_systemctl_removes_nothing(tmp_path: Path) -> None:
    install(Plan("07:30", Path("/p"), Path("/d")), config_home=tmp_path, run=FakeSystemctl())
    fake = FakeSystemctl({("disable",): (1, "", "Access denied")})
    with pytest.raises(ScheduleError, match="Access denied"):
        remove(config_home=tmp_path, run=fake)
    assert (tmp_path / "systemd" / "user" / TIMER).exists()


def test_remove_when_nothing_is_installed_says_so(tmp_path: Path) -> None:
    fake = FakeSystemctl()
    message = remove(config_home=tmp_path, run=fake)
    assert "Nothing was scheduled" in message
    assert "crontab -l" in message and '"readinglist"' in message
    assert fake.calls == []


TIMER_SHOW = (
    "ActiveState=active\n"
    "UnitFileState=enabled\n"
    "NextElapseUSecRealtime=Thu 2024-05-02 07:30:00 CEST\n"
    "LastTriggerUSec=Wed 2024-05-01 07:30:04 CEST\n"
    "LoadState=loaded\n"
)


def test_status_parses_what_systemd_says(tmp_path: Path) -> None:
    install(Plan("07:30", Path("/p"), Path("/d")), config_home=tmp_path, run=FakeSystemctl())
    fake = FakeSystemctl(
        {
            ("show", TIMER): (0, TIMER_SHOW, ""),
            ("show", SERVICE): (0, "Result=exit-code\nExecMainStatus=1\nActiveState=failed\n", ""),
        }
    )
    got = status(config_home=tmp_path, run=fake)
    assert got.kind == "systemd" and got.at == "07:30" and got.active
    assert got.next_run == "Thu 2024-05-02 07:30:00 CEST"
    assert got.last_run == "Wed 2024-05-01 07:30:04 CEST"
    assert got.last_result == "failed (exit 1)"
    assert "07:30" in got.message and "Thu 2024-05-02 07:30:00 CEST" in got.message
    assert "failed (exit 1)" in got.message
    show = next(call for call in fake.calls if call[2:4] == ["show", TIMER])
    assert "NextElapseUSecRealtime" in show and "LastTriggerUSec" in show


def test_status_success_and_microseconds(tmp_path: Path) -> None:
    install(Plan("21:15", Path("/p"), Path("/d"), send=False), config_home=tmp_path, run=FakeSystemctl())
    fake = FakeSystemctl(
        {
            ("show", TIMER): (
                0,
                "ActiveState=active\nNextElapseUSecRealtime=1714627800000000\nLastTriggerUSec=0\n",
                "",
            ),
            ("show", SERVICE): (0, "Result=success\nExecMainStatus=0\n", ""),
        }
    )
    got = status(config_home=tmp_path, run=fake)
    assert got.at == "21:15"
    assert got.next_run is not None and "2024-05-0" in got.next_run
    assert got.last_run is None and got.last_result is None  # never ran: no result to speak of
    assert "not run yet" in got.message
    assert got.message.startswith("Refresh every day at 21:15")


@pytest.mark.parametrize(
    "odd",
    [
        "",
        "\n\n",
        "garbage without equals\n=\n",
        "ActiveState=\nNextElapseUSecRealtime=n/a\nLastTriggerUSec=n/a\nResult=\nExecMainStatus=x\n",
        "NextElapseUSecRealtime=99999999999999999999999\nLastTriggerUSec=infinity\n",
    ],
)
def test_status_survives_odd_output(tmp_path: Path, odd: str) -> None:
    install(Plan("07:30", Path("/p"), Path("/d")), config_home=tmp_path, run=FakeSystemctl())
    got = status(config_home=tmp_path, run=FakeSystemctl({("show",): (0, odd, "")}))
    assert got.kind == "systemd" and got.at == "07:30"
    assert not got.active
    assert got.next_run is None and got.last_run is None and got.last_result is None
    assert got.message


def test_status_when_systemctl_fails_or_is_missing(tmp_path: Path) -> None:
    install(Plan("07:30", Path("/p"), Path("/d")), config_home=tmp_path, run=FakeSystemctl())
    for run in (no_systemctl, FakeSystemctl({("show",): (1, "", "Failed to connect to bus")})):
        got = status(config_home=tmp_path, run=run)
        assert got.kind == "systemd" and got.at == "07:30" and not got.active
        assert "unknown" in got.message


def test_status_when_nothing_is_installed(tmp_path: Path) -> None:
    got = status(config_home=tmp_path, run=FakeSystemctl())
    assert got.kind is None and got.at is None and not got.active
    assert "Nothing is scheduled" in got.message


def test_status_of_a_hand_edited_timer(tmp_path: Path) -> None:
    install(Plan("07:30", Path("/p"), Path("/d")), config_home=tmp_path, run=FakeSystemctl())
    timer = tmp_path / "systemd" / "user" / TIMER
    timer.write_text(timer.read_text().replace("OnCalendar=*-*-* 07:30:00", "OnCalendar=Mon *-*-* 07:30"))
    got = status(config_home=tmp_path, run=FakeSystemctl({("show", TIMER): (0, TIMER_SHOW, "")}))
    assert got.at is None and got.active
    assert "not understood" in got.message


def test_config_home_defaults_to_xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    done = install(Plan("07:30", Path("/p"), Path("/d")), run=FakeSystemctl())
    assert done.files[0].parent == tmp_path / "xdg" / "systemd" / "user"
