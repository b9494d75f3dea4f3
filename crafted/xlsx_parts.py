"""Workbooks written part by part, for the hostile cases no spreadsheet program writes
(a cell at XFD1048576, an entity declaration, a zip bomb, a veryHidden twin sheet)."""

from __future__ import annotations

import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>'
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
USERS = [["User", "Viewer", "MFA"], ["ann@example.com", "Y", "Y"]]
POLICIES = [["Policies", "Viewer"], ["ReadOnlyAccess", "Y"]]


def cell_xml(ref: str, value: object) -> str:
    if isinstance(value, str):
        return f'<c r="{ref}" t="inlineStr"><is><t>{escape(value)}</t></is></c>'
    return f'<c r="{ref}"><v>{value}</v></c>'


def rows_xml(rows: list[list[object]]) -> str:
    out = []
    for r, row in enumerate(rows, 1):
        cells = "".join(cell_xml(f"{chr(65 + c)}{r}", v) for c, v in enumerate(row) if v is not None)
        out.append(f'<row r="{r}">{cells}</row>')
    return "".join(out)


def sheet_xml(body: str, prolog: str = "") -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<worksheet '
        f'xmlns="{MAIN}"><sheetData>{body}</sheetData></worksheet>'
    )


def write_xlsx(
    path: Path,
    sheets: list[tuple[str, str, str]],
    extra: dict[str, bytes | str] | None = None,
    content_types: bool = True,
    workbook_extra: str = "",
    rels_extra: str = "",
) -> Path:
    """``sheets``: (name, state, worksheet XML). ``extra``: more parts, by name;
    ``workbook_extra`` goes after ``<sheets>`` in workbook.xml (definedNames, externalReferences),
    ``rels_extra`` into its relationships."""
    entries = "".join(
        f'<sheet name="{escape(name)}" sheetId="{i}" state="{state}" r:id="rId{i}"/>'
        for i, (name, state, _) in enumerate(sheets, 1)
    )
    rels = "".join(
        f'<Relationship Id="rId{i}" Type="{REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
        for i in range(1, len(sheets) + 1)
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        if content_types:
            archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" '
            f'xmlns:r="{REL}"><sheets>{entries}</sheets>{workbook_extra}</workbook>',
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}{rels_extra}</Relationships>',
        )
        for i, (_, _, xml) in enumerate(sheets, 1):
            archive.writestr(f"xl/worksheets/sheet{i}.xml", xml)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return path


def matrix_xlsx(
    path: Path,
    users_body: str | None = None,
    policies_body: str | None = None,
    more: list[tuple[str, str, str]] | None = None,
    **kwargs,
) -> Path:
    """A valid two-sheet matrix, with either sheet's rows replaced by raw XML."""
    sheets = [
        ("Users", "visible", sheet_xml(users_body if users_body is not None else rows_xml(USERS))),
        ("Policies", "visible", sheet_xml(policies_body if policies_body is not None else rows_xml(POLICIES))),
        *(more or []),
    ]
    return write_xlsx(path, sheets, **kwargs)
