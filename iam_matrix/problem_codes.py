"""The catalogue of validation problems: every code ``validate`` can report, with its
severity and a one-line description. The one place a code is defined.

Codes are stable ids, like the audit's check ids: people search for them, CI filters on
them and ``iam-matrix:suppressWarnings`` names them. ``Problems`` refuses a code that is not
listed here, or with another severity, so the catalogue cannot drift from the code; errors
can never be suppressed (nothing may deploy from invalid input), warnings can.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class ProblemCode:
    code: str
    severity: Severity
    doc: str
    area: str  # "config", "file", "matrix", "policy", "plan", "advice", "audit"


def _e(code: str, area: str, doc: str) -> ProblemCode:
    return ProblemCode(code, "error", doc, area)


def _w(code: str, doc: str) -> ProblemCode:
    return ProblemCode(code, "warning", doc, "advice")


_CODES = [
    # the stack config (Pulumi.<stack>.yaml)
    _e(
        "project-missing",
        "config",
        "The project folder (--project-dir, or the current folder and those above it) has no Pulumi.yaml.",
    ),
    _e("stack-missing", "config", "The stack file Pulumi.<stack>.yaml does not exist."),
    _e(
        "stack-yaml",
        "config",
        "The stack file or Pulumi.yaml is not valid YAML, or uses what a stack file must not (anchors "
        "and aliases, several documents, a key given twice in one mapping, numbers of more than 30 digits, "
        "nesting deeper than 32).",
    ),
    _e(
        "stack-file",
        "config",
        "The stack file or Pulumi.yaml cannot be read: not a regular file, over 1 MiB, or not UTF-8.",
    ),
    _e("stack-shape", "config", "The stack file's top level or config: is not a mapping, or a key is not text."),
    _e("project-shape", "config", "Pulumi.yaml's config: is not a mapping."),
    _e(
        "stack-environment",
        "config",
        "The stack file imports Pulumi ESC environments (environment:), whose config no check can read.",
    ),
    _e(
        "project-name",
        "config",
        "Pulumi.yaml's name is not iam-matrix: Pulumi would give config keys without a namespace to another project.",
    ),
    _e(
        "config-key-twice",
        "config",
        "A config key is given both with and without the iam-matrix: prefix; Pulumi reads them as one key.",
    ),
    _e("config-unknown", "config", "A config key is not in Pulumi.yaml's schema (often a typo)."),
    _e("config-type", "config", "A config value has the wrong type for its key."),
    _e("config-range", "config", "A config value is outside the range IAM or AWS accepts."),
    _e("config-cidr", "config", "An allowedCidrs entry is not an IP address or CIDR block."),
    _e("config-pgp", "config", "consoleAccess is on without a pgpKey to encrypt initial passwords."),
    _e("config-tag", "config", "A tag is not written as Key=Value."),
    _e("config-path", "config", "groupPath or userPath is not a valid IAM path."),
    _e("config-audit-mode", "config", "auditConfig is not one of the AWS Config modes."),
    _e("config-resource-type", "config", "An auditConfigResourceTypes entry is not an AWS::Service::Type."),
    _e(
        "config-suppress", "config", "suppressWarnings names an unknown code or an error (errors cannot be suppressed)."
    ),
    _e("config-admin-role", "config", "An adminRoles entry is not a role of the matrix."),
    _e(
        "config-account",
        "config",
        "aws:allowedAccountIds or auditTrustedAccounts is not a list of quoted 12-digit account ids.",
    ),
    _e(
        "config-user-removal",
        "config",
        "A header-only users file, or a change that removes more than maxUserRemovalPercent of the users.",
    ),
    _e("config-secret", "config", "A Pulumi secret ({secure: ...}) is given for a key that may not be secret."),
    _e(
        "stack-same-account",
        "config",
        "Two stacks of the project are pinned to the same AWS account without both setting shareAccount.",
    ),
    _e(
        "stack-shared-overlap",
        "config",
        "Stacks sharing an account overlap in groupPath/userPath or differ in the password policy.",
    ),
    _e(
        "config-matrix-twice",
        "config",
        "The stack sets both a workbook and CSV files; one of them would be silently unread.",
    ),
    _e(
        "config-deploy-principal",
        "config",
        "A deployPrincipals entry is not an IAM or STS ARN pattern of a role or user.",
    ),
    # paths: nothing is read through a symlink or from outside the project (or the git tree)
    _e("path-symlink", "file", "A matrix file, policy file or stack file is a symlink."),
    _e("path-outside", "file", "A configured path points outside the project folder."),
    _e("path-unsafe", "file", "A git tree entry is not a plain path inside the project (.., absolute)."),
    _e("git-ref", "file", "validate --ref: the ref is not a commit, or the stack file is missing there."),
    _e("path-not-regular", "file", "A git tree entry is not a regular file (symlink, submodule)."),
    # what a command writes (iam-matrix convert)
    _e("output-kind", "file", "--output names a file where a folder is needed, or the wrong kind of file."),
    _e("output-unsafe", "file", "--output is, or goes through, a symlink."),
    # the matrix files
    _e("file-missing", "file", "A matrix file named by the stack config does not exist."),
    _e("file-empty", "file", "A matrix file is empty."),
    _e("file-encoding", "file", "A CSV file is not UTF-8."),
    _e("file-csv", "file", "A CSV file cannot be parsed."),
    _e("file-xlsx", "file", "A workbook cannot be opened as xlsx (not a zip, damaged part, malformed XML)."),
    _e("file-type", "file", "A matrix file is a folder, a pipe or a device, not a regular file."),
    _e("file-unreadable", "file", "A matrix file cannot be opened or read (permissions, I/O error)."),
    _e(
        "file-too-large",
        "file",
        "A matrix file, or the parts of a workbook that are read, exceed the size limits (docs/input-limits.md).",
    ),
    _e("file-format", "file", "A workbook is .xls, .xlsb or .ods; only .xlsx is read."),
    _e("file-csv-separator", "file", "A CSV file is separated by ; tab or | instead of commas."),
    _e("file-xlsx-entities", "file", "A workbook part declares XML entities (a DTD), which Excel never writes."),
    _e("sheet-ambiguous", "file", "Two sheets match Users (or Policies) once trimmed and case folded."),
    _e("sheet-hidden", "file", "The Users or Policies sheet is hidden or veryHidden."),
    _e(
        "sheet-too-large",
        "file",
        "A sheet's cells span far more of the grid than the cells present justify, or leave Excel's grid.",
    ),
    _e("cell-error", "file", "A cell holds an Excel error value (#N/A, #REF!, #DIV/0!, ...)."),
    _e("cell-external-link", "file", "A cell's value comes from another workbook through an external link."),
    _e("sheet-missing", "file", "The workbook lacks the Users or Policies sheet."),
    _e("merged-cells", "file", "The matrix has merged cells, which hide which row or column a mark belongs to."),
    _e("formula-uncalculated", "file", "A cell holds a formula whose value was never calculated."),
    # the matrices
    _e("matrix-empty", "matrix", "A matrix has no header row."),
    _e("header-blank", "matrix", "A column has values but no header."),
    _e("header-duplicate", "matrix", "Two columns have the same header."),
    _e("key-missing", "matrix", "No User / Policies column in the header row."),
    _e("key-blank", "matrix", "A row has marks but no user or policy name."),
    _e("mfa-missing", "matrix", "The user matrix has no MFA column."),
    _e("mark-invalid", "matrix", "A cell is neither a mark nor blank."),
    _e("role-unmatched", "matrix", "A role column is in one matrix but not the other."),
    _e("role-name", "matrix", "A role name is not a valid IAM group name."),
    _e("user-name", "matrix", "A user name is not a valid IAM user name."),
    _e("user-duplicate", "matrix", "A user is listed twice (IAM user names are case-insensitive)."),
    _e("quota-users", "matrix", "More users than IAM allows per account."),
    # policies
    _e("policy-file-name", "policy", "A policy file's name or folder is not a valid IAM policy name or path."),
    _e("policy-file-duplicate", "policy", "Two policy files define the same policy name."),
    _e(
        "policy-json",
        "policy",
        "A policy file is not valid JSON, or strict JSON refuses it (a key given "
        "twice, NaN/Infinity, numbers over 30 digits, nesting deeper than 32).",
    ),
    _e("policy-file", "policy", "A policy file cannot be read: not a regular file, over 1 MiB, or not UTF-8."),
    _e("policy-file-type", "policy", "A folder is named like a policy document (X.json)."),
    _e("policy-tree-size", "policy", "The policy folder holds more than 10,000 entries, so it is not walked."),
    _e("policy-tree-depth", "policy", "The policy folder has folders more than 8 levels deep."),
    _e("policy-parameter", "policy", "A policy uses a {{placeholder}} the stack config does not set."),
    _e("lockout-no-cidr", "policy", "A source-IP guardrail would deny every request (no allowed network)."),
    _e("policy-grammar", "policy", "A policy document breaks IAM's identity-policy grammar."),
    _e("policy-size", "policy", "A policy document is longer than IAM allows for a managed policy."),
    _e("policy-arn", "policy", "A policy row is not a valid IAM policy ARN."),
    _e("policy-unknown", "policy", "A policy row names no AWS managed policy nor a custom policy."),
    _e("policy-deprecated", "policy", "An AWS managed policy is deprecated: IAM refuses to attach it to new groups."),
    _e("policy-service-linked", "policy", "A service-linked role policy, which IAM refuses to attach to groups."),
    _e("policy-duplicate", "policy", "A policy is listed twice."),
    _e("policy-foreign-arn", "policy", "A policy ARN of another account or partition than the stack's."),
    _e("policy-shadowed", "policy", "A custom policy has the name of an AWS managed policy."),
    _e(
        "role-admin-equivalent",
        "policy",
        "A role outside adminRoles is admin-equivalent (all actions on all resources, however written).",
    ),
    _e(
        "user-roles-admin-equivalent",
        "policy",
        "Users are admin-equivalent only through the union of roles none of which is in adminRoles "
        "(reported once per role combination, at the first such user's row).",
    ),
    # planning groups and bundles
    _e("quota-guardrails", "plan", "A role's guardrails do not fit in its first group."),
    _e("group-name", "plan", "A bundle group name (<Role>-2, ...) is not a valid IAM group name."),
    _e("group-clash", "plan", "A bundle group name is also another role's group."),
    _e("quota-groups-per-user", "plan", "A user would be in more groups than IAM allows."),
    _e("quota-groups", "plan", "The matrix needs more groups than the account allows."),
    _e("quota-policies", "plan", "More custom policies than the account allows."),
    # the live account, read by the program before it registers anything (iam_matrix/live_names.py)
    _e(
        "user-case-conflict",
        "plan",
        "The account has the user in another spelling (IAM names are case-insensitive): the up would fail.",
    ),
    _e(
        "group-case-conflict",
        "plan",
        "The account has the group in another spelling (IAM names are case-insensitive): the up would fail.",
    ),
    # advice (iam_matrix/advisories.py): warnings, each may be suppressed by name
    _w("user-no-role", "A user has no role: they can sign in but may do nothing."),
    _w("policy-unused", "A custom policy is created but no role gets it."),
    _w(
        "cidr-allows-all",
        "allowedCidrs holds 0.0.0.0/0 or ::/0, so the source-IP guardrail denies nothing from that family.",
    ),
    _w("policy-service-role", "A service-role policy, meant for an AWS service, is given to people."),
    _w("policy-redundant", "A policy adds nothing to a role that already has AdministratorAccess."),
    _w("mfa-lockout", "A user not marked for MFA gets an MFA-forcing policy."),
    _w("role-no-policy", "A role gets no policy."),
    # the audit's exceptions file (iam_matrix/audit/exceptions.py; the audit exits 2 on these)
    _e(
        "exceptions-file",
        "audit",
        "The audit's exceptions file cannot be read: missing, not a regular file, over 1 MiB, not UTF-8, or not "
        "valid strict YAML (anchors, several documents, a key given twice).",
    ),
    _e(
        "exceptions-shape",
        "audit",
        "The exceptions file is not `exceptions:` with a list of entries, or an entry lacks check, resource, reason "
        "or expires, has an unknown field, or a value of the wrong kind.",
    ),
    _e("exception-check", "audit", "An exception names an unknown check id, or one of the exceptions' own checks."),
    _e(
        "exception-resource",
        "audit",
        "An exception's resource is a glob that matches every resource (of its kind), e.g. * or user/*.",
    ),
    _e(
        "exception-expiry",
        "audit",
        "An exception's expires is not a YYYY-MM-DD date, or is more than 365 days after the audit's day.",
    ),
    _e("exception-duplicate", "audit", "Two exceptions name the same check, resource and stacks."),
    _e("exception-stack", "audit", "An exception's stacks names a stack without a Pulumi.<stack>.yaml."),
    # the access model (iam_matrix/access/rules.py)
    _w(
        "role-privilege-escalation",
        "A role's policies together allow a known privilege-escalation path (cloudsplaining's list).",
    ),
    _w(
        "user-roles-privilege-escalation",
        "Users have a privilege-escalation path only through the union of their roles, in no one role "
        "(once per role combination).",
    ),
    _w(
        "policy-action-unknown",
        "A custom policy names an action or service prefix the IAM action catalog does not know.",
    ),
    _w("policy-action-resource-mismatch", "A custom policy action can never match the statement's resource ARNs."),
    _w("policy-allow-not", "A custom policy allows with NotAction or NotResource (everything but a list)."),
]

CODES: dict[str, ProblemCode] = {c.code: c for c in _CODES}


def catalogued(code: str, severity: Severity) -> ProblemCode:
    """The catalogue entry of ``code``; a code missing here, or used with another severity,
    is a bug in the caller (not in the user's input)."""
    entry = CODES.get(code)
    if entry is None:
        raise ValueError(f"problem code {code!r} is not in iam_matrix/problem_codes.py")
    if entry.severity != severity:
        raise ValueError(f"problem code {code!r} is catalogued as {entry.severity}, used as {severity}")
    return entry


def markdown_table() -> str:
    """The catalogue as the table in docs/problem-codes.md (a test keeps the two equal)."""
    rows = [f"| `{c.code}` | {c.severity} | {c.area} | {c.doc} |" for c in _CODES]
    return "\n".join(["| code | severity | area | what it means |", "|---|---|---|---|", *rows]) + "\n"
