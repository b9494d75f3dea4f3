"""Stack settings: Pulumi.yaml's config schema gives the keys and defaults, the stack
file (Pulumi.<stack>.yaml) or the Pulumi engine gives the values.

The CLI reads the stack file itself; the Pulumi program hands over what ``pulumi.Config``
returns. Both end in ``settings_from_values`` so the two can never read config differently.
"""

from __future__ import annotations

import difflib
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .iam_rules import ACCOUNT_ID
from .input_files import (
    MAX_STACK_FILE_BYTES,
    InputFileError,
    YamlProblem,
    clip,
    load_yaml,
    load_yaml_file,
    yaml_key_lines,
)
from .password_policy import PasswordPolicy
from .problems import Location, MatrixInvalid, Problem, Problems
from .project import PROJECT
from .project_files import check_regular_file
from .stack_accounts import StackScope, check_account_sharing

# The config keys that say where the matrix is: one workbook, or two CSV files.
MATRIX_KEYS = ("workbook", "usersFile", "policiesFile")


@dataclass(frozen=True)
class Settings:
    project_dir: Path
    stack: str
    config_file: str
    values: Mapping[str, Any]
    account_id: str | None = None
    password_policy: PasswordPolicy = field(default_factory=PasswordPolicy)
    tags: Mapping[str, str] = field(default_factory=dict)
    problems: tuple[Problem, ...] = ()  # config problems kept for the compile (``strict=False``)

    def path(self, key: str) -> Path:
        return (self.project_dir / str(self.values[key])).resolve()

    @property
    def workbook(self) -> Path | None:
        return self.path("workbook") if self.values["workbook"] else None

    @property
    def users_file(self) -> Path:
        return self.path("usersFile")

    @property
    def policies_file(self) -> Path:
        return self.path("policiesFile")

    @property
    def policies_dir(self) -> Path:
        return self.path("policiesDir")

    def value(self, key: str) -> Any:
        """A config value by its Pulumi key (``maxPoliciesPerGroup``), default applied."""
        return self.values[key]

    def location(self, key: str) -> Location:
        return Location(self.config_file, None, f"{PROJECT}:{key}")


def find_project_dir(start: Path | None = None) -> Path:
    """The nearest folder at or above ``start`` holding Pulumi.yaml (as Pulumi does)."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "Pulumi.yaml").is_file():
            return folder
    return Path(__file__).resolve().parents[1]


def locate_project(explicit: Path | None = None) -> Path:
    """The project folder a command works on: ``explicit`` (``--project-dir``), which must
    hold Pulumi.yaml, or the nearest folder at or above the current one that does. Unlike
    ``find_project_dir`` it never falls back to the installed package's own checkout."""
    found = Problems()
    if explicit is not None:
        folder = explicit.expanduser().resolve()
        if (folder / "Pulumi.yaml").is_file():
            return folder
        problem = f"no Pulumi.yaml in {folder}" if folder.is_dir() else f"{folder} is not a folder"
        fix = "pass --project-dir the folder of the iam-matrix project (the one holding Pulumi.yaml)"
        found.error(Location(str(explicit)), "project-missing", problem, fix)
        raise MatrixInvalid(found.items)
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "Pulumi.yaml").is_file():
            return folder
    fix = "run the command inside the project folder or pass --project-dir PATH"
    found.error(Location(str(here)), "project-missing", "no Pulumi.yaml in this folder or above it", fix)
    raise MatrixInvalid(found.items)


def read_yaml_file(path: Path, display: str, problems: Problems) -> dict[str, Any] | None:
    """The one reader of Pulumi.yaml and Pulumi.<stack>.yaml: a regular UTF-8 file of at most
    1 MiB, one YAML document without aliases and without a key given twice in one mapping
    (PyYAML would keep the last silently), a mapping at the top with string keys throughout,
    and under ``config:`` each key once as the Pulumi engine names it (``_engine_names``).
    None (with the problem recorded) otherwise; {} for an empty file."""
    where = Location(display)
    try:
        text, document = load_yaml_file(path, MAX_STACK_FILE_BYTES)
    except InputFileError as error:
        if error.code == "file-missing":
            problems.error(where, "stack-missing", error.message, error.fix)
        else:
            problems.error(where, "stack-file", error.message, error.fix)
        return None
    except YamlProblem as error:
        problems.error(error.at(display), "stack-yaml", error.message, error.fix)
        return None
    if document is None:
        return {}
    if not isinstance(document, dict):
        problems.error(
            where,
            "stack-shape",
            f"the top level is {_kind(document)}, not a mapping of keys to values",
            "write it as `key: value` lines (see Pulumi.dev.yaml)",
        )
        return None
    key = _non_string_key(document)
    if key is not None:
        problems.error(where, "stack-shape", f"the key {clip(key)} is {_kind(key)}; keys must be text", "quote the key")
        return None
    config = document.get("config")
    if isinstance(config, dict):
        document["config"] = _engine_names(config, text, display, problems)
    return document


def _engine_names(config: dict[str, Any], text: str, display: str, problems: Problems) -> dict[str, Any]:
    """``config:`` keyed as the Pulumi engine keys it: a key without a namespace is the
    project's (``adminRoles`` is ``iam-matrix:adminRoles``; pulumi/pulumi
    sdk/go/common/workspace/loaders.go ``stackConfigNamespacedWithProject``). Both spellings of
    one key are an error: the engine keeps whichever its walk of a Go map meets last, at random,
    so validate and review could read one value while ``pulumi up`` deploys the other."""
    named: dict[str, Any] = {}
    spelled: dict[str, str] = {}
    lines: dict[str, int] | None = None  # composed once, at the first repeat: once per repeat was quadratic
    for key, value in config.items():
        full = key if ":" in key else f"{PROJECT}:{key}"
        if full in spelled:  # YAML keeps document order: spelled[full] came first
            lines = yaml_key_lines(text, "config") if lines is None else lines
            line = lines.get(key)
            problems.error(
                Location(display, None, f"line {line}" if line else f"config.{clip(key)}"),
                "config-key-twice",
                f"{clip(spelled[full])} and {clip(key)} are one key to Pulumi (a key without a namespace "
                f"is {PROJECT}'s), and it would use one of the two values at random",
                f"keep one of them, spelled {clip(full)}",
            )
            continue
        spelled[full] = key
        named[full] = value
    return named


def _kind(value: Any) -> str:
    return {
        dict: "a mapping",
        list: "a list",
        str: "a string",
        bool: "true/false",
        int: "a number",
        float: "a number",
    }.get(type(value), type(value).__name__)


def _non_string_key(document: Any) -> Any:
    """The first mapping key (at any depth) that is not a string, or None."""
    pending = [document]
    while pending:
        value = pending.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                if not isinstance(key, str):
                    return key
                pending.append(item)
        elif isinstance(value, list):
            pending.extend(value)
    return None


def config_schema(project_dir: Path) -> dict[str, dict[str, Any]]:
    """The project's config keys (without the ``iam-matrix:`` prefix) and their schema."""
    problems = Problems()
    project = read_yaml_file(project_dir / "Pulumi.yaml", "Pulumi.yaml", problems)
    config = (project or {}).get("config") or {}
    if project is not None and not isinstance(config, dict):
        problems.error(
            Location("Pulumi.yaml", None, "config"),
            "project-shape",
            f"config is {_kind(config)}, not a mapping",
            "restore the config schema of the iam-matrix project",
        )
    name = (project or {}).get("name")
    if project is not None and name != PROJECT:
        # Pulumi gives a config key without a namespace to the project's name, while the program
        # reads pulumi.Config("iam-matrix") and validate names such a key iam-matrix's: they would differ
        problems.error(
            Location("Pulumi.yaml", None, "name"),
            "project-name",
            f"the project {f'is named {clip(name)}' if name is not None else 'has no name'}; it must be {PROJECT}: "
            f"Pulumi would read a config key without a namespace as that name's, while the program reads {PROJECT}'s",
            f"set name: {PROJECT} in Pulumi.yaml",
        )
    if problems.errors:
        raise MatrixInvalid(problems.items)
    return {
        key.removeprefix(f"{PROJECT}:"): spec
        for key, spec in config.items()
        if isinstance(spec, dict) and isinstance(spec.get("type"), str)
    }


def read_stack_config(project_dir: Path, stack: str) -> dict[str, Any]:
    """The ``config:`` mapping of Pulumi.<stack>.yaml, shape checked; MatrixInvalid otherwise."""
    config_file = f"Pulumi.{stack}.yaml"
    path = project_dir / config_file
    problems = Problems()
    if not path.is_file() and not path.exists():
        problems.error(
            Location(config_file),
            "stack-missing",
            f"no stack file {config_file} in {project_dir}",
            "create it (copy Pulumi.dev.yaml) or pass --stack with an existing stack name",
        )
        raise MatrixInvalid(problems.items)
    if not check_regular_file(path, config_file, problems):  # a symlink: refused (project_files)
        raise MatrixInvalid(problems.items)
    document = read_yaml_file(path, config_file, problems)
    if document is not None and "environment" in document:
        # Pulumi merges the pulumiConfig of these ESC environments into the stack's config
        # (pulumi.com/docs/esc/guides/pulumi-iac): values validate, review and the pack never see
        problems.error(
            Location(config_file, None, "environment"),
            "stack-environment",
            "the stack imports Pulumi ESC environments, whose pulumiConfig would set config that validate, "
            "the access diff and the policy pack cannot read",
            "remove environment: and write the stack's config in this file, where it is reviewed",
        )
    config = (document or {}).get("config") or {}
    if document is not None and not isinstance(config, dict):
        problems.error(
            Location(config_file, None, "config"),
            "stack-shape",
            f"config is {_kind(config)}, not a mapping",
            "write config as `iam-matrix:key: value` lines under config:",
        )
    if problems.errors:
        raise MatrixInvalid(problems.items)
    return config


def stack_region(project_dir: Path, stack: str) -> str | None:
    """``aws:region`` of the stack file (the region ``pulumi up`` deploys to); None when the
    stack file is missing, unreadable or does not set it (the caller falls back to AWS's chain)."""
    try:
        value: Any = read_stack_config(project_dir, stack).get("aws:region")
    except MatrixInvalid:
        return None
    return value if isinstance(value, str) and value else None


def load_stack_settings(
    project_dir: Path | None = None,
    stack: str = "dev",
    overrides: Mapping[str, Any] | None = None,
    *,
    strict: bool = True,
    other_stacks: bool = True,
) -> Settings:
    """Settings of one stack from its Pulumi.<stack>.yaml, as ``pulumi up`` would see them.

    With ``strict=False`` a bad config value does not raise: it is kept in
    ``Settings.problems`` (the default is used in its place) so that the compile reports it
    together with the matrix's problems. An unreadable file always raises.
    """
    project_dir = find_project_dir(project_dir)
    config_file = f"Pulumi.{stack}.yaml"
    raw: dict[str, Any] = {}
    values: dict[str, Any] = {}
    for key, value in read_stack_config(project_dir, stack).items():
        if key.startswith(f"{PROJECT}:"):
            values[key.removeprefix(f"{PROJECT}:")] = (
                value.get("value", value) if isinstance(value, dict) and "value" in value else value
            )
        else:
            raw[key] = value
    if overrides and any(key in overrides for key in MATRIX_KEYS):
        for key in MATRIX_KEYS:  # the command line names the matrix: the stack's own choice gives way
            values.pop(key, None)
    values.update(overrides or {})
    return settings_from_values(
        values,
        project_dir=project_dir,
        stack=stack,
        config_file=config_file,
        aws_allowed_account_ids=raw.get("aws:allowedAccountIds"),
        other_stacks=other_stacks,
        strict=strict,
    )


def settings_from_values(
    values: Mapping[str, Any],
    *,
    project_dir: Path,
    stack: str,
    config_file: str,
    aws_allowed_account_ids: Any = None,
    other_stacks: bool = True,
    strict: bool = True,
) -> Settings:
    """Merge ``values`` over the schema defaults, check their types and ranges, build Settings.
    With ``other_stacks``, also check this stack against the project's other stack files
    (``stack_accounts``: one stack per account unless they share it safely).

    ``strict`` raises MatrixInvalid on any problem; otherwise the problems travel in
    ``Settings.problems`` and each bad value is replaced by its default.
    """
    schema = config_schema(project_dir)
    problems = Problems()
    merged: dict[str, Any] = {key: spec.get("default") for key, spec in schema.items()}
    for key, value in values.items():
        where = Location(config_file, None, f"{PROJECT}:{key}")
        if key not in schema:
            close = difflib.get_close_matches(key, list(schema), n=1)
            hint = f"did you mean {PROJECT}:{close[0]}?" if close else "remove it; known keys are listed in Pulumi.yaml"
            problems.error(where, "config-unknown", f"unknown config key {PROJECT}:{key}", hint)
            continue
        if _is_secret(value):
            if key not in SECRET_KEYS:
                problems.error(
                    where,
                    "config-secret",
                    f"{PROJECT}:{key} is a secret; only {', '.join(sorted(SECRET_KEYS))} may be",
                    f"set {PROJECT}:{key} as plain config (pulumi config set {PROJECT}:{key} VALUE)",
                )
            else:
                merged[key] = SECRET_PLACEHOLDER  # set, and only the engine can decrypt it
            continue
        coerced = _coerce(value, schema[key])
        if coerced is _INVALID:
            problems.error(
                where,
                "config-type",
                f"{clip(value)} is not a {schema[key]['type']}",
                f"set a {schema[key]['type']} value ({schema[key].get('description', '')})",
            )
            continue
        if coerced is not None:
            merged[key] = coerced
    for key in _check_ranges(merged, config_file, problems):
        merged[key] = schema[key].get("default")
    _check_matrix_source(values, config_file, problems)
    tags = _parse_tags(merged.get("tags") or [], Location(config_file, None, f"{PROJECT}:tags"), problems)
    account_id = _account_id(aws_allowed_account_ids, Location(config_file, None, "aws:allowedAccountIds"), problems)
    if problems.errors and strict:
        raise MatrixInvalid(problems.items)
    password = PasswordPolicy.from_config(merged)
    settings = Settings(
        project_dir=project_dir,
        stack=stack,
        config_file=config_file,
        values=merged,
        account_id=account_id,
        password_policy=password,
        tags=tags,
    )
    if other_stacks and account_id is not None:
        check_account_sharing(
            _scope(settings), (_scope(other) for other in _other_stacks(project_dir, stack)), problems
        )
        if problems.errors and strict:
            raise MatrixInvalid(problems.items)
    return replace(settings, problems=tuple(problems.items))


def _scope(settings: Settings) -> StackScope:
    values = settings.values
    return StackScope(
        settings.stack,
        settings.config_file,
        settings.account_id,
        bool(values["shareAccount"]),
        values["groupPath"],
        values["userPath"],
        settings.password_policy,
    )


def _other_stacks(project_dir: Path, stack: str) -> list[Settings]:
    """The project's other stacks that read cleanly (a broken one is reported when it is validated)."""
    found = []
    for path in sorted(project_dir.glob("Pulumi.*.yaml")):
        name = path.name[len("Pulumi.") : -len(".yaml")]
        if name == stack or path.is_symlink() or not path.is_file():
            continue
        try:
            found.append(load_stack_settings(project_dir, name, other_stacks=False))
        except MatrixInvalid:
            continue
    return found


_INVALID = object()
# Keys whose value may be a Pulumi secret (``{secure: v1:...}`` in the stack file): the CLI
# cannot decrypt it and needs only to know it is set; the program gets the plain value.
SECRET_KEYS = frozenset({"pgpKey"})
SECRET_PLACEHOLDER = "[secret]"


def _is_secret(value: Any) -> bool:
    return isinstance(value, Mapping) and set(value) == {"secure"} and isinstance(value["secure"], str)


def _coerce(value: Any, spec: Mapping[str, Any]) -> Any:
    kind = spec["type"]
    if value is None:
        return None
    if kind == "string":
        return value if isinstance(value, str) else _INVALID
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        return _INVALID
    if kind == "integer":
        if isinstance(value, bool):
            return _INVALID
        if isinstance(value, int):
            return value
        if isinstance(value, str) and value.strip().lstrip("-").isdigit() and len(value.strip()) <= 18:
            return int(value)
        return _INVALID
    if kind == "array":
        if isinstance(value, str):
            try:
                value = load_yaml(value)
            except YamlProblem:
                return _INVALID
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            return [item.strip() for item in value]
        return _INVALID
    return value


_RANGES = {
    "maxPoliciesPerGroup": (1, 20, "IAM allows 10 managed policies per group, 20 at most after a quota increase"),
    "maxGroupsPerAccount": (1, 5000, "IAM allows 300 groups per account by default"),
    "maxCustomerManagedPolicies": (1, 5000, "IAM allows 1500 customer managed policies by default, 5000 at most"),
    "passwordMinimumLength": (6, 128, "IAM accepts 6 to 128"),
    "passwordMaxAgeDays": (0, 1095, "IAM accepts 1 to 1095 days, or 0 for no expiry"),
    "passwordReusePrevention": (0, 24, "IAM remembers 1 to 24 previous passwords, 0 to turn it off"),
    "maxUserRemovalPercent": (0, 100, "a share of the users, in percent"),
    "auditUnusedCredentialDays": (1, 3650, "use a number of days"),
    "auditAccessKeyMaxAgeDays": (1, 3650, "use a number of days"),
    "auditFailedSignInThreshold": (2, 1000, "use a number of failed sign-ins in an hour"),
}


def _check_matrix_source(values: Mapping[str, Any], config_file: str, problems: Problems) -> None:
    """A stack reads one workbook or two CSV files; setting both would leave one of them
    silently unread (and edits to it changing nothing)."""
    both = [key for key in ("usersFile", "policiesFile") if values.get(key) not in (None, "")]
    if values.get("workbook") not in (None, "") and both:
        named = " and ".join(f"{PROJECT}:{key}" for key in both)
        problems.error(
            Location(config_file, None, f"{PROJECT}:workbook"),
            "config-matrix-twice",
            f"the stack sets both {PROJECT}:workbook and {named}, so one of them would be silently ignored",
            f"keep one: remove {named} to read the workbook, or remove {PROJECT}:workbook to read the CSV files "
            "(iam-matrix convert turns one form into the other)",
        )


def _check_ranges(merged: dict[str, Any], config_file: str, problems: Problems) -> list[str]:
    """Record values out of range; the keys whose value is out of range."""
    out: list[str] = []
    for key, (low, high, why) in _RANGES.items():
        value = merged.get(key)
        if isinstance(value, int) and not low <= value <= high:
            problems.error(
                Location(config_file, None, f"{PROJECT}:{key}"),
                "config-range",
                f"{clip(value, 40)} is out of range",
                f"use {low} to {high}: {why}",
            )
            out.append(key)
    for cidr in merged.get("allowedCidrs") or []:
        try:
            network = ipaddress.ip_network(cidr, strict=False)
        except ValueError:
            network = None
        if network is None or "%" in cidr:  # Python accepts fe80::1%eth0; IAM's aws:SourceIp does not
            problems.error(
                Location(config_file, None, f"{PROJECT}:allowedCidrs"),
                "config-cidr",
                f"{clip(cidr)} is not an IP address or CIDR block",
                "write it as 192.0.2.0/24 or 2001:db8::/32 (no %zone suffix)",
            )
    pgp = merged.get("pgpKey")
    if isinstance(pgp, str) and pgp and not pgp.strip():
        problems.error(
            Location(config_file, None, f"{PROJECT}:pgpKey"),
            "config-pgp",
            "pgpKey is only whitespace",
            "set a base64 PGP public key or keybase:username, or remove the key",
        )
    elif merged.get("consoleAccess") and not merged.get("pgpKey"):
        problems.error(
            Location(config_file, None, f"{PROJECT}:consoleAccess"),
            "config-pgp",
            "consoleAccess is on but no pgpKey is set; initial passwords would have nowhere safe to go",
            "set iam-matrix:pgpKey to a base64 PGP public key or keybase:username, or turn consoleAccess off",
        )
    return out


def _parse_tags(items: list[str], where: Location, problems: Problems) -> dict[str, str]:
    tags: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            problems.error(where, "config-tag", f"tag {clip(item)} is not Key=Value", 'write tags as "Key=Value"')
            continue
        tags[key.strip()] = value.strip()
    return tags


def _account_id(allowed: Any, where: Location, problems: Problems) -> str | None:
    """The stack's one account (``aws:allowedAccountIds``), each id a quoted 12-digit string.

    An unquoted id is a YAML number: ``011111111111`` reads as the octal 1227133513 and
    ``111111111111`` loses nothing only by luck, so a number is an error, never converted.
    """
    if isinstance(allowed, str):
        try:
            allowed = load_yaml(allowed)
        except YamlProblem:
            allowed = [allowed]
    if allowed is None:
        return None
    if not isinstance(allowed, list):
        problems.error(
            where,
            "config-account",
            f"aws:allowedAccountIds is {allowed!r:.80}, not a list",
            'write it as a list of quoted ids: ["111111111111"]',
        )
        return None
    for item in allowed:
        if isinstance(item, str) and ACCOUNT_ID.fullmatch(item):
            continue
        if isinstance(item, int) and not isinstance(item, bool):
            problems.error(
                where,
                "config-account",
                f"account id {item!r} is a number: YAML reads an unquoted "
                "id as an integer (011111111111 is the octal 1227133513)",
                f'quote it: - "{item:012d}" if that is the id, or the id as the AWS console shows it',
            )
        else:
            problems.error(
                where,
                "config-account",
                f"account id {item!r:.80} is not a 12-digit AWS account id",
                'write the 12 digits in quotes, e.g. - "111111111111"',
            )
    if len(allowed) == 1 and isinstance(allowed[0], str) and ACCOUNT_ID.fullmatch(allowed[0]):
        return allowed[0]
    return None
