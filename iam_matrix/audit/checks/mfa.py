"""MFA: users the matrix marks MFA-required, console users, device names and the root user
(CIS 1.5, 1.10); the root user's access keys (CIS 1.4) are checked here too because they come
from the same root row of the credential report."""

from __future__ import annotations

from ...desired import DesiredState
from ..findings import Check, Finding, could_not_check, register
from ..snapshot import ROOT_ROW, Snapshot
from .base import Area

MFA_DOC = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_mfa.html"
ROOT_DOC = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_root-user.html"

CHECKS = register(
    Check(
        "mfa-required-missing",
        "mfa",
        "high",
        "A user marked MFA-required has no active MFA device",
        "1.10",
        remediation="have the user enrol an MFA device",
        doc=MFA_DOC,
    ),
    Check(
        "console-mfa-missing",
        "mfa",
        "high",
        "A user with a console password has no active MFA device",
        "1.10",
        remediation="have the user enrol an MFA device, or delete the login profile",
        doc=MFA_DOC,
    ),
    Check(
        "mfa-device-name",
        "mfa",
        "info",
        "A virtual MFA device is not named after its user (the seed's convention)",
        remediation="name virtual MFA devices after their user when they are next replaced",
        doc=MFA_DOC,
    ),
    Check(
        "root-mfa",
        "mfa",
        "critical",
        "The root user has no MFA",
        "1.5",
        remediation="enrol a hardware or virtual MFA device for root",
        doc=ROOT_DOC,
    ),
    Check(
        "root-access-key",
        "credentials",
        "critical",
        "The root user has an active access key",
        "1.4",
        remediation="delete the root access keys; use IAM users or roles",
        doc=ROOT_DOC,
    ),
)


def mfa_active(snapshot: Snapshot) -> dict[str, bool]:
    """User name -> has an active MFA device, from the credential report or the live virtual device list.

    The report may be up to four hours old; the virtual device list is live but omits hardware
    and FIDO keys, so either source saying yes counts."""
    active = {
        row["user"]: row.get("mfa_active") == "true"
        for row in snapshot.credential_report
        if row.get("user") != ROOT_ROW
    }
    for device in snapshot.virtual_mfa_devices:
        user = (device.get("User") or {}).get("UserName")
        if user and device.get("EnableDate"):
            active[user] = True
    return active


def mfa_findings(desired: DesiredState, snapshot: Snapshot) -> list[Finding]:
    out: list[Finding] = []
    active = mfa_active(snapshot)
    required = {u.name for u in desired.users if u.mfa_required}
    reported: set[str] = set()
    existing = {u["UserName"] for u in snapshot.users}  # the report can list users deleted since it was made
    for user in snapshot.users:
        name = user["UserName"]
        if name in required and not active.get(name, False):
            reported.add(name)
            out.append(
                Finding(
                    "mfa-required-missing",
                    f"user/{name}",
                    f"{name} is marked MFA-required in the user matrix but has no active MFA device",
                    f"have {name} enrol a virtual MFA device named {name} (IAM > Users > Security credentials)",
                )
            )
    for row in snapshot.credential_report:
        name = row.get("user", "")
        if name == ROOT_ROW or name in reported or name not in existing:
            continue
        if row.get("password_enabled") == "true" and not active.get(name, False):
            out.append(
                Finding(
                    "console-mfa-missing",
                    f"user/{name}",
                    f"{name} can sign in to the console with a password but has no MFA device",
                    f"have {name} enrol an MFA device, or delete the login profile if they need no console access",
                )
            )
    for device in snapshot.virtual_mfa_devices:
        user = (device.get("User") or {}).get("UserName")
        device_name = device.get("SerialNumber", "").rsplit("/", 1)[-1]
        if user and device.get("EnableDate") and device_name != user:
            out.append(
                Finding(
                    "mfa-device-name",
                    f"user/{user}",
                    f"MFA device {device_name} of {user} is not named after the user",
                    "name virtual MFA devices after their user when they are next replaced",
                )
            )
    if "virtual-mfa-devices" in snapshot.unavailable:  # MFA status still comes from the credential report
        out.append(
            could_not_check("virtual-mfa-devices", snapshot.unavailable["virtual-mfa-devices"], ["mfa-device-name"])
        )
    root = snapshot.report_row(ROOT_ROW)
    if root is None:
        if snapshot.credential_report or snapshot.users:
            out.append(
                could_not_check(
                    "root-account",
                    "the credential report has no <root_account> row",
                    ["root-mfa", "root-access-key"],
                    "regenerate the credential report",
                )
            )
    else:
        if root.get("mfa_active") != "true":
            out.append(
                Finding(
                    "root-mfa",
                    "root",
                    "the root user has no MFA device",
                    "sign in as root and enrol a hardware or virtual MFA device; then lock the credentials away",
                )
            )
        keys = [n for n in ("1", "2") if root.get(f"access_key_{n}_active") == "true"]
        if keys:
            out.append(
                Finding(
                    "root-access-key",
                    "root",
                    f"the root user has {len(keys)} active access key(s)",
                    "delete the root access keys; use IAM users or roles",
                )
            )
    return out


AREA = Area("mfa", CHECKS, lambda given: mfa_findings(given.desired, given.snapshot))
