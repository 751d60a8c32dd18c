"""Refresh the feeds, then send the daily digest, every day at a time the user chooses: a systemd user timer
where the user has a systemd session, else a line for the user's crontab (which we never edit ourselves).

The job runs `readinglist --data-dir DIR refresh`, then `readinglist --data-dir DIR digest --send`; a refresh that
fails (one feed down) does not stop the digest. The timer is `Persistent=true`, so a run missed while the computer
was off or asleep happens at the next start. Every call of `systemctl` goes through a `Runner`, so tests never touch
the real systemd; a missing `systemctl` means "no systemd".
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from readinglist.core.errors import ExportError, ReadingListError
from readinglist.core.files import write_atomically

UNIT = "readinglist-daily"
SERVICE = f"{UNIT}.service"
TIMER = f"{UNIT}.timer"
MARKER = "# Written by `readinglist schedule install`; `readinglist schedule remove` deletes it."
TIMEOUT = 10.0

Runner = Callable[[list[str]], subprocess.CompletedProcess[str]]


class ScheduleError(ReadingListError):
    """The daily job could not be scheduled, removed or read (a bad time, systemctl refusing), worded for the user."""


def subprocess_runner(argv: list[str]) -> subprocess.CompletedProcess[str]:
    """Run `argv` with its output captured and a 10 s timeout. A non-zero exit is returned, not raised; a timeout
    comes back as exit 124 with a sentence on stderr; FileNotFoundError (no such program) is raised."""
    try:
        return subprocess.run(
            argv, capture_output=True, text=True, timeout=TIMEOUT, check=False, stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(argv, 124, "", f"{argv[0]} did not answer within {TIMEOUT:g} s")


# The time of day


_TIME = re.compile(r"([0-9]{1,2}):([0-9]{2})")


def parse_time(text: str) -> tuple[int, int]:
    """(hour, minute) of "HH:MM" (24 h; "7:05" is 07:05). Raises ScheduleError."""
    match = _TIME.fullmatch(text.strip())
    if match is not None:
        hour, minute = int(match[1]), int(match[2])
        if hour < 24 and minute < 60:
            return hour, minute
    shown = text.strip() or '""'
    raise ScheduleError(f"{shown} is not a time of day (HH:MM, 24 hours, e.g. 07:30)")


def _check_path(what: str, path: Path) -> None:
    if not path.is_absolute():
        raise ScheduleError(f"the {what} must be an absolute path, not {path}")
    if any(ord(c) < 32 or ord(c) == 127 for c in str(path)):
        raise ScheduleError(f"the {what} {str(path)!r} has a control character in its name, which cannot be scheduled")


@dataclass(frozen=True, slots=True)
class Plan:
    """What to schedule. `at` is "HH:MM" local time (normalised: "7:05" becomes "07:05"); `program` the absolute
    path of the readinglist executable; `data_dir` the library folder, passed as --data-dir; `send` False refreshes
    only. Raises ScheduleError for a bad time or a relative path."""

    at: str
    program: Path
    data_dir: Path
    send: bool = True

    def __post_init__(self) -> None:
        hour, minute = parse_time(self.at)
        object.__setattr__(self, "at", f"{hour:02d}:{minute:02d}")
        object.__setattr__(self, "program", Path(self.program))
        object.__setattr__(self, "data_dir", Path(self.data_dir))
        _check_path("readinglist program", self.program)
        _check_path("library folder", self.data_dir)

    def commands(self) -> list[list[str]]:
        """The argv of each step, in order."""
        base = [str(self.program), "--data-dir", str(self.data_dir)]
        steps = [[*base, "refresh"]]
        if self.send:
            steps.append([*base, "digest", "--send"])
        return steps

    def what(self) -> str:
        return "refresh and digest" if self.send else "refresh"


@dataclass(frozen=True, slots=True)
class Installed:
    kind: str  # "systemd" or "cron"
    files: tuple[Path, ...]  # the unit files written (systemd); none for cron
    cron_line: str  # for cron, the line to add with `crontab -e`; "" for systemd
    message: str


@dataclass(frozen=True, slots=True)
class Status:
    kind: str | None  # "systemd", or None when nothing is installed
    at: str | None
    active: bool
    next_run: str | None
    last_run: str | None
    last_result: str | None  # "success", "failed (exit 1)", … when known
    message: str


# cron


def cron_line(plan: Plan) -> str:
    """The crontab line running the plan every day at its time: each path quoted for the shell, and `%` escaped
    (cron turns a bare `%` into a newline). The steps are joined with `;`, so a failed refresh still sends."""
    hour, minute = parse_time(plan.at)
    script = "; ".join(" ".join(shlex.quote(word) for word in argv) for argv in plan.commands())
    return f"{minute} {hour} * * * " + script.replace("%", "\\%")


def _cron_installed(plan: Plan, why: str) -> Installed:
    line = cron_line(plan)
    message = (
        f"Nothing was installed: {why}. To {plan.what()} every day at {plan.at}, add this line with "
        f"`crontab -e`:\n{line}"
    )
    return Installed(kind="cron", files=(), cron_line=line, message=message)


# systemd units

_SAFE_WORD = re.compile(r"[A-Za-z0-9_@%+=:,./-]+")
_UNSAFE_IN_EXECUTABLE = re.compile(r"[\"'\\]")  # systemd refuses these in the program's own name


def _systemd_word(word: str) -> str:
    """One command line word as systemd.service(5) reads it back: double-quoted (backslash and quote escaped) when
    it has anything but plain characters, `%` (specifiers) and `$` (variables) doubled in any case."""
    if not _SAFE_WORD.fullmatch(word) or word == ";":
        word = '"' + word.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return word.replace("%", "%%").replace("$", "$$")


def _exec_line(argv: list[str], *, ignore_failure: bool) -> str:
    if _UNSAFE_IN_EXECUTABLE.search(argv[0]):
        argv = ["/usr/bin/env", *argv]  # env runs a program whose name systemd would refuse
    first = ("-" if ignore_failure else "") + argv[0]
    return "ExecStart=" + " ".join(_systemd_word(word) for word in [first, *argv[1:]])


def _unit_text(value: str) -> str:
    """Free text (a Description) as systemd reads it: specifiers escaped, one line."""
    return " ".join(value.split()).replace("%", "%%")


def service_text(plan: Plan) -> str:
    steps = plan.commands()
    # Every step but the last may fail (a feed down) without stopping the next: the `-` prefix.
    lines = [_exec_line(argv, ignore_failure=i < len(steps) - 1) for i, argv in enumerate(steps)]
    description = (
        "readinglist: refresh the feeds and send the daily digest" if plan.send else "readinglist: refresh the feeds"
    )
    return "\n".join(
        [
            MARKER,
            "[Unit]",
            f"Description={_unit_text(description)}",
            "",
            "[Service]",
            "Type=oneshot",
            *lines,
            "TimeoutStartSec=1h",
            "Nice=10",
            "",
        ]
    )


def timer_text(plan: Plan) -> str:
    return "\n".join(
        [
            MARKER,
            "[Unit]",
            f"Description=readinglist: {plan.what()} every day at {plan.at}",
            "",
            "[Timer]",
            f"OnCalendar=*-*-* {plan.at}:00",
            "Persistent=true",
            f"Unit={SERVICE}",
            "",
            "[Install]",
            "WantedBy=timers.target",
            "",
        ]
    )


def _unit_dir(config_home: Path | None) -> Path:
    if config_home is None:
        config_home = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return Path(config_home) / "systemd" / "user"


def _systemctl(run: Runner, *args: str) -> subprocess.CompletedProcess[str]:
    """Raises FileNotFoundError when there is no systemctl."""
    return run(["systemctl", "--user", *args])


def _words(result: subprocess.CompletedProcess[str]) -> str:
    text = " ".join(((result.stderr or "") + "\n" + (result.stdout or "")).split())
    return text or f"it exited with status {result.returncode}"


_GOOD_STATES = {"running", "degraded", "starting", "initializing", "maintenance"}


def _systemd_available(run: Runner) -> bool:
    """Whether a systemd user manager answers: `is-system-running` names a working state (it exits non-zero when
    degraded or starting), or `show-environment` succeeds."""
    try:
        result = _systemctl(run, "is-system-running")
        state = (result.stdout or "").strip().splitlines()
        if result.returncode == 0 or (state and state[0].strip() in _GOOD_STATES):
            return True
        return _systemctl(run, "show-environment").returncode == 0
    except OSError:  # FileNotFoundError: no systemctl; PermissionError and the like: none we can use
        return False


def install(plan: Plan, *, config_home: Path | None = None, run: Runner = subprocess_runner) -> Installed:
    """Schedule the plan: a systemd user timer when systemd answers (the unit files written atomically, then
    daemon-reload and enable --now), else nothing written and a cron line to add. Raises ScheduleError with
    systemctl's own words when it refuses; files are never removed on failure."""
    if not _systemd_available(run):
        return _cron_installed(plan, "systemd is not running for your user")
    folder = _unit_dir(config_home)
    service, timer = folder / SERVICE, folder / TIMER
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ScheduleError(f"cannot create {folder}: {exc.strerror or exc}") from exc
    try:
        write_atomically(service, service_text(plan), private=False)
        write_atomically(timer, timer_text(plan), private=False)
    except ExportError as exc:
        raise ScheduleError(str(exc)) from exc
    for args in (["daemon-reload"], ["enable", "--now", TIMER]):
        try:
            result = _systemctl(run, *args)
        except OSError as exc:
            raise ScheduleError(f"cannot run systemctl: {exc.strerror or exc}") from exc
        if result.returncode != 0:
            raise ScheduleError(
                f"systemctl --user {' '.join(args)} failed: {_words(result)} "
                f"(the unit files are in {folder}; `readinglist schedule remove` takes them away)"
            )
    message = (
        f"Installed: {plan.what()} every day at {plan.at} (systemd timer {TIMER}; a missed run happens at the next "
        f"start). Its output: journalctl --user -u {SERVICE}"
    )
    return Installed(kind="systemd", files=(service, timer), cron_line="", message=message)


_NOT_THERE = ("not loaded", "does not exist", "not found", "no such file", "failed to connect", "not be found")


def remove(*, config_home: Path | None = None, run: Runner = subprocess_runner) -> str:
    """Stop and disable the timer and delete both unit files; what was removed, worded for the user. When nothing
    was installed, says so and where to look for a cron line. Raises ScheduleError (nothing removed) when systemctl
    refuses to disable the timer for another reason than its not being there."""
    folder = _unit_dir(config_home)
    present = [path for path in (folder / TIMER, folder / SERVICE) if path.exists() or path.is_symlink()]
    if not present:
        return (
            "Nothing was scheduled with systemd. If you added a cron line, look for the one with "
            '"readinglist" in `crontab -l` and delete it with `crontab -e`.'
        )
    has_systemctl = True
    try:
        result = _systemctl(run, "disable", "--now", TIMER)
        if result.returncode != 0 and not any(s in _words(result).lower() for s in _NOT_THERE):
            raise ScheduleError(f"systemctl --user disable --now {TIMER} failed: {_words(result)}; nothing was removed")
    except OSError:
        has_systemctl = False
    wanted = folder / "timers.target.wants" / TIMER  # what `disable` removes, gone too when it could not run
    with contextlib.suppress(OSError):
        if wanted.is_symlink():
            wanted.unlink()
    for path in present:
        try:
            path.unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise ScheduleError(f"cannot delete {path}: {exc.strerror or exc}") from exc
    if has_systemctl:
        with contextlib.suppress(OSError):
            _systemctl(run, "daemon-reload")
    names = " and ".join(path.name for path in present)
    return f"Removed the daily schedule: {names} in {folder}."


# status


def _show(run: Runner, unit: str, properties: list[str]) -> dict[str, str]:
    """`systemctl --user show UNIT -p …` as a dict; {} when systemctl is missing or fails. Unknown lines ignored."""
    argv = ["show", unit]
    for name in properties:
        argv += ["-p", name]
    try:
        result = _systemctl(run, *argv)
    except OSError:
        return {}
    if result.returncode != 0:
        return {}
    values: dict[str, str] = {}
    for line in (result.stdout or "").splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip():
            values[key.strip()] = value.strip()
    return values


def _timestamp(value: str | None) -> str | None:
    """A timestamp as systemd shows it ("Thu 2024-05-02 07:30:00 CEST"); a bare number is microseconds since the
    epoch (older versions, or `--timestamp=unix`); empty, "n/a", 0 and "infinity" are unknown."""
    if value is None:
        return None
    value = value.strip()
    if not value or value.lower() in {"n/a", "0", "infinity", "[not set]", "-"}:
        return None
    if value.isdigit():
        try:
            return datetime.fromtimestamp(int(value) / 1_000_000).strftime("%a %Y-%m-%d %H:%M:%S")
        except (OverflowError, OSError, ValueError):
            return None
    if value.startswith("@") and value[1:].isdigit():
        try:
            return datetime.fromtimestamp(int(value[1:])).strftime("%a %Y-%m-%d %H:%M:%S")
        except (OverflowError, OSError, ValueError):
            return None
    return value


def _result(service: Mapping[str, str]) -> str | None:
    result = service.get("Result", "").strip()
    status = service.get("ExecMainStatus", "").strip()
    if not result:
        return None
    if result == "success":
        return "success"
    code = f" {status}" if status.isdigit() and status != "0" else ""
    if result == "exit-code":
        return f"failed (exit{code})" if code else "failed"
    if result == "signal" or result == "core-dump":
        return f"failed (signal{code})" if code else "failed (killed by a signal)"
    if result == "timeout":
        return "failed (took too long)"
    return f"failed ({result})" if re.fullmatch(r"[a-z-]+", result) else None


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


_ON_CALENDAR = re.compile(r"^\s*OnCalendar\s*=\s*\*-\*-\*\s+([0-9]{1,2}):([0-9]{2})(?::00)?\s*$", re.MULTILINE)


def status(*, config_home: Path | None = None, run: Runner = subprocess_runner) -> Status:
    """What is scheduled: the time from the timer file, and what systemd says of the timer (active, next and last
    run) and of the service (its last result). Values systemd does not give, or gives in a form not understood,
    are None."""
    folder = _unit_dir(config_home)
    timer_file, service_file = folder / TIMER, folder / SERVICE
    if not timer_file.exists() and not service_file.exists():
        return Status(
            kind=None,
            at=None,
            active=False,
            next_run=None,
            last_run=None,
            last_result=None,
            message=(
                "Nothing is scheduled with systemd. If you added a cron line, `crontab -l` shows it "
                '(the one with "readinglist").'
            ),
        )
    at: str | None = None
    match = _ON_CALENDAR.search(_read(timer_file))
    if match is not None and int(match[1]) < 24 and int(match[2]) < 60:
        at = f"{int(match[1]):02d}:{int(match[2]):02d}"
    sends = "digest" in _read(service_file)
    what = "refresh and digest" if sends else "refresh"

    timer = _show(
        run, TIMER, ["ActiveState", "UnitFileState", "NextElapseUSecRealtime", "LastTriggerUSec", "LoadState"]
    )
    service = _show(run, SERVICE, ["Result", "ExecMainStatus", "ExecMainStartTimestamp", "ActiveState", "LoadState"])
    active = timer.get("ActiveState") == "active"
    next_run = _timestamp(timer.get("NextElapseUSecRealtime"))
    last_run = _timestamp(timer.get("LastTriggerUSec")) or _timestamp(service.get("ExecMainStartTimestamp"))
    last_result = _result(service) if last_run is not None else None
    if service.get("ActiveState") in {"activating", "active"} and last_run is not None:
        last_result = "running now"

    when = f"at {at}" if at else "(at a time not understood)"
    what = what[:1].upper() + what[1:]
    if not timer and not service:
        first = f"{what} every day {when} (systemd timer {TIMER}); systemd did not answer, so its state is unknown."
    elif active:
        first = f"{what} every day {when} (systemd timer {TIMER}, active)."
    else:
        first = (
            f"{what} every day {when} is installed ({folder / TIMER}) but the timer is not active; "
            "`readinglist schedule install` again to start it."
        )
    details = []
    if next_run:
        details.append(f"next run {next_run}")
    if last_run:
        details.append(f"last run {last_run}" + (f" ({last_result})" if last_result else ""))
    elif timer or service:
        details.append("it has not run yet")
    rest = "; ".join(details)
    message = first + (f"\n{rest[:1].upper()}{rest[1:]}." if rest else "")
    return Status(
        kind="systemd",
        at=at,
        active=active,
        next_run=next_run,
        last_run=last_run,
        last_result=last_result,
        message=message,
    )
