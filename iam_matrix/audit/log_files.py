"""CloudTrail log files in a local folder, and which file names belong to a window. No boto3.

A trail writes ``AWSLogs/[<org id>/]<account>/CloudTrail/<region>/YYYY/MM/DD/<name>.json.gz``
and, beside it, digest files under ``CloudTrail-Digest/`` (hashes, not events: skipped). The
date in the path lets a reader skip the files of days outside the window without opening them.

The folder is read one file at a time (``AccessLog.read_file`` bounds each); nothing outside
it is read: symbolic links, to files or folders, are refused and reported.
"""

from __future__ import annotations

import os
import re
from datetime import date, datetime, timedelta
from pathlib import Path

from .events import AccessLog

LOG_SUFFIXES = (".json", ".json.gz")
_DAY = re.compile(r"(?:^|/)(\d{4})/(\d{2})/(\d{2})/")
DELIVERY_SLACK = timedelta(days=1)  # a trail delivers a file up to about 15 minutes after its events


def path_day(key: str) -> date | None:
    """The YYYY/MM/DD of a trail's file path, None when the path has none."""
    match = _DAY.search(key)
    if not match:
        return None
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


def wanted(key: str, start: datetime, end: datetime) -> bool:
    """A log file (not a digest) whose day, when the path has one, can hold events of the window."""
    if "CloudTrail-Digest/" in key or not key.endswith(LOG_SUFFIXES):
        return False
    day = path_day(key)
    return day is None or (start - DELIVERY_SLACK).date() <= day <= (end + DELIVERY_SLACK).date()


def read_folder(folder: Path, start: datetime, end: datetime) -> AccessLog:
    """Every log file under ``folder`` for the window, in path order, one at a time."""
    log = AccessLog(source=str(folder), start=start, end=end)
    if folder.is_symlink():
        log.unavailable = f"{folder} is a symbolic link; give the folder itself"
        return log
    if not folder.is_dir():
        log.unavailable = f"{folder} is not a folder (give a folder of CloudTrail log files or an s3:// URI)"
        return log
    root = folder.resolve()
    for here, dirs, files in os.walk(root, followlinks=False):
        base = Path(here)
        for name in sorted(dirs):
            if (base / name).is_symlink():
                log.problem(
                    str((base / name).relative_to(root)),
                    "a symbolic link; refused (only files inside the folder are read)",
                )
        dirs[:] = sorted(d for d in dirs if not (base / d).is_symlink())
        for name in sorted(files):
            path = base / name
            relative = path.relative_to(root).as_posix()
            if not wanted(relative, start, end):
                continue
            if path.is_symlink() or not path.resolve().is_relative_to(root):
                log.problem(relative, "a symbolic link; refused (only files inside the folder are read)")
                continue
            try:
                with path.open("rb") as stream:
                    log.read_file(stream, relative)
            except OSError as error:
                log.problem(relative, f"could not be opened ({error.strerror or error})")
    return log
