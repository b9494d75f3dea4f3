"""Compile the desired state of one stack as it was at a git ref.

Only what the stack needs is taken out of git (``Pulumi.yaml``, ``Pulumi.<stack>.yaml``,
the matrix files that stack config names - an xlsx as the exact bytes - and the policy
documents folder), written into a temporary project folder and compiled there by the
core, exactly as ``validate`` would. The matrix is never parsed here.
"""

from __future__ import annotations

import fnmatch
import subprocess
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from ..audit.exceptions import CONFIG_KEY as EXCEPTIONS_KEY
from ..compiler import CompileResult, check
from ..desired import DesiredState
from ..input_files import MAX_INPUT_FILE_BYTES
from ..password_policy import PasswordPolicy
from ..problems import Location, MatrixInvalid, Problem, Problems
from ..project_files import symlink_problem
from ..settings import Settings, load_stack_settings
from ..validation import validate_stack
from .diff import Revision

WORKING_TREE = "working tree"
T = TypeVar("T")


class RefError(Exception):
    """Bad input at one ref: unknown ref, missing stack, or a matrix that does not compile."""

    def __init__(self, ref: str, message: str, problems: list[Problem] | None = None):
        self.ref = ref
        self.message = message
        self.problems = problems or []
        super().__init__(f"{ref}: {message}")


def _git(project_dir: Path, *args: str) -> bytes:
    done = subprocess.run(["git", *args], cwd=project_dir, capture_output=True, check=False)
    if done.returncode != 0:
        raise subprocess.CalledProcessError(done.returncode, ["git", *args], done.stdout, done.stderr)
    return done.stdout


def resolve_ref(project_dir: Path, ref: str) -> str:
    """The commit id of ``ref``; RefError when git does not know it."""
    try:
        return _git(project_dir, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").decode().strip()
    except subprocess.CalledProcessError as error:
        if b"not a git repository" in (error.stderr or b""):
            raise RefError(ref, f"{project_dir} is not in a git repository") from None
        raise RefError(ref, "not a commit in this repository (fetch it first, e.g. git fetch origin main)") from None
    except FileNotFoundError:
        raise RefError(ref, "git is not installed") from None


REGULAR_MODES = (b"100644", b"100755")


def _materialise(project_dir: Path, commit: str, paths: list[str], target: Path, label: str) -> list[str]:
    """Copy ``paths`` (files or folders, relative to the project) at ``commit`` into ``target``.

    A crafted tree cannot write outside ``target`` nor smuggle in what the working tree
    would read differently: an entry whose path is absolute, has ``.``/``..``/empty parts
    or resolves outside ``target``, and any entry that is not a regular file (a symlink, a
    submodule), is an error naming the path - nothing is written for that revision.
    Returns the paths that matched nothing at that commit.
    """
    listing = _git(project_dir, "ls-tree", "-r", "-l", "-z", commit, "--", *paths) if paths else b""
    problems = Problems()
    files: list[tuple[str, str]] = []
    found: set[str] = set()
    wanted: dict[str, list[str]] = {}  # a path as asked, without a trailing /, -> how it was asked
    for path in paths:
        wanted.setdefault(path.rstrip("/"), []).append(path)
    root = target.resolve()
    for entry in filter(None, listing.split(b"\0")):
        meta, _, raw = entry.partition(b"\t")
        mode, kind, blob, size = meta.split()
        name = raw.decode("utf-8", "backslashreplace")
        parts = name.split("/")
        if (
            raw.startswith(b"/")
            or any(part in ("", ".", "..") for part in parts)
            or not _is_within((target / name).resolve(), root)
        ):
            problems.error(
                Location(name),
                "path-unsafe",
                f"git tree entry {name!r} at {label} is not a plain path inside the project",
                "remove the entry: paths in the repository may not be absolute nor contain '.' or '..' parts",
            )
            continue
        if mode == b"120000":
            symlink_problem(problems, name)
            continue
        if kind != b"blob" or mode not in REGULAR_MODES:
            what = "a submodule" if kind == b"commit" else f"a {kind.decode()} entry with mode {mode.decode()}"
            problems.error(
                Location(name),
                "path-not-regular",
                f"{name!r} at {label} is {what}, not a regular file",
                "keep only regular files in the matrix paths and policies/",
            )
            continue
        if int(size) > MAX_INPUT_FILE_BYTES:  # no reader takes more: do not hold it in memory to copy it out
            problems.error(
                Location(name),
                "file-too-large",
                f"{name!r} at {label} is {int(size):,} bytes; no input file of the project is read past "
                f"{MAX_INPUT_FILE_BYTES:,} bytes",
                "shorten it (see docs/input-limits.md)",
            )
            continue
        files.append((name, blob.decode()))
        for prefix in ("/".join(parts[:n]) for n in range(1, len(parts) + 1)):  # the file and each folder above it
            found.update(wanted.get(prefix, ()))
    if problems.errors:
        raise RefError(label, "the revision has paths that cannot be read safely", problems.items)
    for name, blob in files:
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(_git(project_dir, "cat-file", "blob", blob))
    return [p for p in paths if p not in found]


def _stack_files(project_dir: Path, commit: str) -> list[str]:
    """The ``Pulumi.<stack>.yaml`` names beside Pulumi.yaml at ``commit``, as the working tree's
    ``Pulumi.*.yaml`` (``_materialise`` then refuses any that is not a regular file)."""
    listing = _git(project_dir, "ls-tree", "-z", "--name-only", commit)
    names = (raw.decode("utf-8", "backslashreplace") for raw in filter(None, listing.split(b"\0")))
    return [name for name in names if fnmatch.fnmatchcase(name, "Pulumi.*.yaml")]


def _is_within(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _relative(settings: Settings, key: str, root: Path) -> str | None:
    try:
        return settings.path(key).relative_to(root.resolve()).as_posix()
    except ValueError:
        return None


def _revision(settings: Settings, label: str) -> Revision:
    result = check(settings)
    if result.state is None:
        raise RefError(label, "the matrix does not compile", result.errors)
    return Revision(
        result.state,
        label,
        tuple(settings.value("adminRoles") or ()),
        tuple(settings.value("allowedCidrs") or ()),
        settings.value("maxUserRemovalPercent"),
        settings.value("confirmUserRemoval"),
        quota=result.state.deploy.max_policies_per_group,
    )


def empty_revision(stack: str, label: str) -> Revision:
    """A stack that does not exist yet: no users, no roles, no policies."""
    state = DesiredState(
        stack,
        None,
        "/",
        True,
        groups=(),
        users=(),
        policies=(),
        password_policy=PasswordPolicy(
            minimum_password_length=0,
            require_uppercase_characters=False,
            require_lowercase_characters=False,
            require_numbers=False,
            require_symbols=False,
            max_password_age=0,
            password_reuse_prevention=0,
        ),
    )
    return Revision(state, label, (), ())


def revision_at(
    project_dir: Path,
    ref: str | None,
    stack: str,
    overrides: Mapping[str, Any] | None = None,
    *,
    missing_stack_ok: bool = False,
) -> Revision:
    """The compiled stack at ``ref`` (``None`` = the working tree).

    ``overrides`` are config values as the CLI gives them (paths relative to the project).
    With ``missing_stack_ok``, a ref without ``Pulumi.<stack>.yaml`` gives an empty
    revision (a stack added by the change being reviewed).
    """
    if ref is None:
        if missing_stack_ok and not (project_dir / f"Pulumi.{stack}.yaml").is_file():
            return empty_revision(stack, WORKING_TREE)
        try:
            return _revision(load_stack_settings(project_dir, stack, overrides, strict=False), WORKING_TREE)
        except MatrixInvalid as invalid:
            raise RefError(WORKING_TREE, "invalid stack configuration", invalid.problems) from None
    found: list[Revision] = []

    def compiled(settings: Settings, label: str) -> None:
        found.append(_revision(settings, label))

    if not _at_commit(project_dir, ref, stack, overrides, compiled, missing_stack_ok=missing_stack_ok):
        return empty_revision(stack, f"{ref} ({resolve_ref(project_dir, ref)[:12]})")
    return found[0]


def check_at(project_dir: Path, ref: str, stack: str, overrides: Mapping[str, Any] | None = None) -> CompileResult:
    """``validate`` of the stack as committed at ``ref``, read through git (never the working
    tree): what CI runs with the base branch's code over a pull request's files."""
    return at_ref(project_dir, ref, stack, validate_stack, overrides=overrides)


def at_ref(
    project_dir: Path,
    ref: str,
    stack: str,
    use: Callable[[Settings], T],
    *,
    also: Sequence[str] = (),
    overrides: Mapping[str, Any] | None = None,
) -> T:
    """``use`` of the stack's settings in a temporary project holding what validate reads at
    ``ref`` (the stack's files, every stack file and the audit's exceptions file, so the ref is
    checked as the working tree would be) and the paths ``also`` (relative to the project, e.g.
    the stack's ``deploy/<stack>`` folder), all read through git."""
    found: list[T] = []
    _at_commit(project_dir, ref, stack, overrides, lambda settings, _label: found.append(use(settings)), also=also)
    return found[0]


def _at_commit(
    project_dir: Path,
    ref: str,
    stack: str,
    overrides: Mapping[str, Any] | None,
    use: Callable[[Settings, str], None],
    *,
    missing_stack_ok: bool = False,
    also: Sequence[str] | None = None,
) -> bool:
    """Materialise what ``stack`` reads at ``ref`` into a temporary folder and call ``use``
    with its settings there; False when the stack file does not exist at ``ref`` and
    ``missing_stack_ok``. RefError for anything else that is missing or unsafe. With ``also``
    (validate's view), every other stack file, the audit's exceptions file and those paths too."""
    for_validate = also is not None
    commit = resolve_ref(project_dir, ref)
    label = f"{ref} ({commit[:12]})"
    with tempfile.TemporaryDirectory(prefix="iam-matrix-diff-") as folder:
        root = Path(folder)
        stack_files = _stack_files(project_dir, commit) if for_validate else []
        wanted = sorted({"Pulumi.yaml", f"Pulumi.{stack}.yaml", *stack_files})
        missing = _materialise(project_dir, commit, wanted, root, label)
        if "Pulumi.yaml" in missing:
            raise RefError(label, "has no Pulumi.yaml in the project folder")
        if f"Pulumi.{stack}.yaml" in missing:
            if missing_stack_ok:
                return False
            raise RefError(label, f"has no stack file Pulumi.{stack}.yaml")
        try:
            settings = load_stack_settings(root, stack, overrides, strict=False)
        except MatrixInvalid as invalid:
            raise RefError(label, "invalid stack configuration", invalid.problems) from None
        keys = ["workbook"] if settings.value("workbook") else ["usersFile", "policiesFile"]
        paths = []
        for key in [*keys, "policiesDir"]:
            relative = _relative(settings, key, root)
            if relative is None:
                raise RefError(
                    label,
                    f"iam-matrix:{key} points outside the project ({settings.value(key)}); "
                    "only files in the repository can be read at a ref",
                )
            paths.append(relative)
        exceptions = settings.value(EXCEPTIONS_KEY) if for_validate else ""
        if exceptions:  # outside the project, or missing: the exceptions reader says so, as in the working tree
            relative = _relative(settings, EXCEPTIONS_KEY, root)
            paths += [relative] if relative else []
        paths += list(also or ())
        _materialise(project_dir, commit, paths, root, label)  # a missing file is reported by the compiler
        use(settings, label)
        return True
