"""Hostile and broken workbooks: each ends in located problems, never a crash, an abort or
gigabytes of memory, and never a silently different matrix (iam_matrix/workbook_guard.py)."""

from __future__ import annotations

import zipfile

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from crafted.xlsx_parts import MAIN, POLICIES, REL, USERS, matrix_xlsx, rows_xml, sheet_xml, write_xlsx
from tests.core.project import codes, find


def check_workbook(project, path):
    return project.check(workbook=str(path), usersFile="", policiesFile="", adminRoles=["Viewer"])


def test_the_plain_workbook_compiles(project, tmp_path):
    result = check_workbook(project, matrix_xlsx(tmp_path / "m.xlsx"))
    assert result.errors == [] and [u.name for u in result.state.users] == ["ann@example.com"]


def test_one_cell_at_the_end_of_the_grid_is_refused_before_calamine_allocates_it(project, tmp_path):
    body = rows_xml(USERS) + '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    problem = find(check_workbook(project, matrix_xlsx(tmp_path / "far.xlsx", users_body=body)), "sheet-too-large")
    assert str(problem.location) == "far.xlsx [Users]" and "XFD1048576" in problem.fix


def test_cells_without_references_are_bounded_too(project, tmp_path):
    """Cells written without r= follow the one before: the bound counts them."""
    body = rows_xml(USERS) + '<row r="1048576">' + "<c><v>1</v></c>" * 20 + "</row>"
    assert "sheet-too-large" in codes(check_workbook(project, matrix_xlsx(tmp_path / "noref.xlsx", users_body=body)))


def test_a_reference_beyond_excels_grid_is_refused(project, tmp_path):
    body = rows_xml(USERS) + '<row r="3"><c r="AAAA3"><v>1</v></c></row>'
    assert "sheet-too-large" in codes(check_workbook(project, matrix_xlsx(tmp_path / "wide.xlsx", users_body=body)))


def test_a_zip_bomb_in_a_sheet_that_is_read_is_refused_by_its_inflated_size(project, tmp_path):
    padding = "<row/>" * 12_000_000  # 72 MB of XML in ~70 KB of deflate
    path = matrix_xlsx(tmp_path / "bomb.xlsx", users_body=rows_xml(USERS) + padding)
    assert path.stat().st_size < 200_000
    problem = find(check_workbook(project, path), "file-too-large")
    assert "inflate to more than" in problem.message


def test_a_huge_sheet_the_program_ignores_is_never_inflated(project, tmp_path):
    ignored = sheet_xml("<row/>" * 12_000_000)
    path = matrix_xlsx(tmp_path / "notes.xlsx", more=[("Notes", "visible", ignored)])
    assert check_workbook(project, path).errors == []


def test_xml_entity_declarations_are_refused(project, tmp_path):
    bomb = '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    sheets = [
        ("Users", "visible", sheet_xml(rows_xml(USERS), prolog=bomb)),
        ("Policies", "visible", sheet_xml(rows_xml(POLICIES))),
    ]
    problem = find(check_workbook(project, write_xlsx(tmp_path / "ent.xlsx", sheets)), "file-xlsx-entities")
    assert str(problem.location) == "ent.xlsx" and "xl/worksheets/sheet1.xml" in problem.message


def test_a_deflate_stream_longer_than_declared_is_refused(project, tmp_path):
    path = matrix_xlsx(tmp_path / "lie.xlsx")
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("xl/worksheets/sheet1.xml")
    # shrink the declared size in the central directory and the local header
    for offset in (info.header_offset + 22, data.rfind(b"xl/worksheets/sheet1.xml", 0, len(data)) - 46 + 24):
        data[offset : offset + 4] = (info.file_size - 10).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    result = check_workbook(project, path)
    assert result.state is None and {p.code for p in result.errors} & {"file-too-large", "file-xlsx"}


def test_sheets_that_match_the_same_name_after_trim_and_casefold_are_an_error(project, tmp_path):
    twin = ("users ", "veryHidden", sheet_xml(rows_xml([["User", "Viewer", "MFA"], ["mallory@example.com", "Y", "Y"]])))
    problem = find(check_workbook(project, matrix_xlsx(tmp_path / "twin.xlsx", more=[twin])), "sheet-ambiguous")
    assert "'users ' (veryHidden)" in problem.message


@pytest.mark.parametrize("state", ["hidden", "veryHidden"])
def test_a_hidden_matrix_sheet_is_an_error(project, tmp_path, state):
    sheets = [("Users", "visible", sheet_xml(rows_xml(USERS))), ("Policies", state, sheet_xml(rows_xml(POLICIES)))]
    problem = find(check_workbook(project, write_xlsx(tmp_path / "h.xlsx", sheets)), "sheet-hidden")
    assert str(problem.location) == "h.xlsx [Policies]" and state in problem.message


def test_excel_error_values_are_errors_at_their_cells_not_blanks(project, tmp_path):
    body = (
        rows_xml([["User", "Viewer", "MFA"]])
        + '<row r="2"><c r="A2" t="inlineStr"><is><t>ann@example.com</t></is></c><c '
        'r="B2" t="e"><v>#N/A</v></c><c r="C2" t="e"><v>#DIV/0!</v></c></row>'
    )
    result = check_workbook(project, matrix_xlsx(tmp_path / "err.xlsx", users_body=body))
    errors = sorted((str(p.location), p.message) for p in result.errors if p.code == "cell-error")
    assert [where for where, _ in errors] == ["err.xlsx [Users] B2", "err.xlsx [Users] C2"]
    assert "#DIV/0!" in errors[1][1]


def test_error_literals_written_as_text_are_errors_too(project, tmp_path):
    users = rows_xml([["User", "Viewer", "#N/A", "MFA"], ["ann@example.com", "Y", "", "Y"]])
    problem = find(check_workbook(project, matrix_xlsx(tmp_path / "lit.xlsx", users_body=users)), "cell-error")
    assert str(problem.location) == "lit.xlsx [Users] C1"  # not taken for a comment column


def test_a_value_linked_from_another_workbook_is_an_error(project, tmp_path):
    body = (
        rows_xml([["User", "Viewer", "MFA"]])
        + '<row r="2"><c r="A2" t="inlineStr"><is><t>ann@example.com</t></is></c><c r="B2" '
        't="str"><f>[1]Sheet1!B2</f><v>Y</v></c><c r="C2" t="inlineStr"><is><t>Y</t></is></c></row>'
    )
    problem = find(check_workbook(project, matrix_xlsx(tmp_path / "ext.xlsx", users_body=body)), "cell-external-link")
    assert str(problem.location) == "ext.xlsx [Users] B2" and "[1]Sheet1!B2" in problem.message


def test_many_bad_cells_are_listed_up_to_a_cap_then_counted(project, tmp_path):
    rows = [["User", "Viewer", "MFA"]] + [[f"u{i}@example.com", "Y", "Y"] for i in range(80)]
    body = rows_xml(rows).replace('t="inlineStr"><is><t>Y</t></is>', 't="e"><v>#REF!</v>')
    result = check_workbook(project, matrix_xlsx(tmp_path / "many.xlsx", users_body=body))
    bad = [p for p in result.errors if p.code == "cell-error"]
    assert len(bad) == 101 and [p.message for p in bad if p.location.cell is None] == [
        "60 more cell-error problems in this sheet are not listed (at most 100 of each kind are)"
    ]


@pytest.mark.parametrize(
    ("magic", "name", "words"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504, "old.xls", ".xls"),
        (None, "sheet.ods", ".ods"),
        (None, "binary.xlsb", ".xlsb"),
    ],
)
def test_other_spreadsheet_formats_are_refused_by_name(project, tmp_path, magic, name, words):
    path = tmp_path / name
    if magic is not None:
        path.write_bytes(magic)
    else:
        with zipfile.ZipFile(path, "w") as archive:
            if name.endswith(".ods"):
                archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
                archive.writestr("content.xml", "<office:document-content/>")
            else:
                archive.writestr("xl/workbook.bin", b"\0")
    problem = find(check_workbook(project, path), "file-format")
    assert words in problem.message and str(problem.location) == name


def test_a_workbook_openpyxl_refuses_is_read_with_calamine(project, tmp_path):
    """openpyxl is no longer on the read path: a workbook without [Content_Types].xml
    (openpyxl raises KeyError on it) validates."""
    path = matrix_xlsx(tmp_path / "bare.xlsx", content_types=False)
    with pytest.raises(Exception):  # noqa: B017 - any openpyxl failure shows the point
        openpyxl.load_workbook(path)
    assert check_workbook(project, path).errors == []


def test_garbage_and_truncated_workbooks_are_one_cannot_read_line(project, tmp_path):
    path = matrix_xlsx(tmp_path / "good.xlsx")
    good = path.read_bytes()
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("xl/worksheets/sheet1.xml")
    middle = info.header_offset + 30 + len(info.filename) + info.compress_size // 2
    flipped = good[:middle] + bytes([good[middle] ^ 0xFF]) + good[middle + 1 :]
    for name, data in (("junk.xlsx", b"not a zip at all"), ("cut.xlsx", good[: len(good) // 2]), ("crc.xlsx", flipped)):
        (tmp_path / name).write_bytes(data)
        result = check_workbook(project, tmp_path / name)
        assert result.state is None and all(str(p.location).startswith(name) for p in result.errors), [
            str(p) for p in result.errors
        ]


def test_a_stray_cell_just_past_the_area_limit_is_refused_and_named(project, tmp_path):
    body = rows_xml(USERS) + '<row r="2001"><c r="ALL2001" t="inlineStr"><is><t>x</t></is></c></row>'
    problem = find(check_workbook(project, matrix_xlsx(tmp_path / "stray.xlsx", users_body=body)), "sheet-too-large")
    assert "A1:ALL2001 (2,001,000 cells)" in problem.message and "at most 2,000,000" in problem.message
    assert "near ALL2001" in problem.fix


# What Excel writes for a workbook that links another one: an external link part with the other
# workbook's cached values, a relationship to it, <externalReferences>, and names that use [1].
EXTERNAL_LINK = (
    f'<?xml version="1.0" encoding="UTF-8"?><externalLink xmlns="{MAIN}" xmlns:r="{REL}">'
    '<externalBook r:id="rId1"><sheetNames><sheetName val="Sheet1"/></sheetNames><sheetDataSet>'
    '<sheetData sheetId="0"><row r="1"><cell r="A1" t="str"><v>Y</v></cell></row></sheetData>'
    "</sheetDataSet></externalBook></externalLink>"
)
EXTERNAL_LINK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
    'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/externalLinkPath" Target="file:///C:/share/rates.xlsx" TargetMode="External"/></Relationships>'
)


def linked_workbook(path, users_body, names):
    defined = "".join(f'<definedName name="{name}">{text}</definedName>' for name, text in names.items())
    return matrix_xlsx(
        path,
        users_body=users_body,
        workbook_extra=f'<externalReferences><externalReference r:id="rId9"/></externalReferences>'
        f"<definedNames>{defined}</definedNames>",
        rels_extra=f'<Relationship Id="rId9" Type="{REL}/externalLink" Target="externalLinks/externalLink1.xml"/>',
        extra={
            "xl/externalLinks/externalLink1.xml": EXTERNAL_LINK,
            "xl/externalLinks/_rels/externalLink1.xml.rels": EXTERNAL_LINK_RELS,
        },
    )


def users_with_formula(formula, shared_child=False):
    child = (
        '<row r="3"><c r="A3" t="inlineStr"><is><t>bob@example.com</t></is></c>'
        '<c r="B3" t="str"><f t="shared" si="0"/><v>Y</v></c><c r="C3"><v>1</v></c></row>'
        if shared_child
        else ""
    )
    master = f'<f t="shared" ref="B2:B3" si="0">{formula}</f>' if shared_child else f"<f>{formula}</f>"
    return (
        rows_xml([["User", "Viewer", "MFA"]])
        + '<row r="2"><c r="A2" t="inlineStr"><is><t>ann@example.com</t></is></c>'
        + f'<c r="B2" t="str">{master}<v>Y</v></c><c r="C2"><v>1</v></c></row>'
        + child
    )


def test_a_mark_reaching_another_workbook_through_a_defined_name_is_an_error(project, tmp_path):
    path = linked_workbook(tmp_path / "name.xlsx", users_with_formula("Rate"), {"Rate": "[1]Sheet1!$A$1"})
    # calamine reads the cached value: without the guard this would be a silent mark
    assert CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Users").to_python()[1][1] == "Y"
    problem = find(check_workbook(project, path), "cell-external-link")
    assert str(problem.location) == "name.xlsx [Users] B2"
    assert "Rate, where Rate = [1]Sheet1!$A$1" in problem.message


def test_names_are_followed_through_other_names_and_case(project, tmp_path):
    names = {"Outer": "IF(TRUE,inner,0)", "Inner": "'[1]Sheet1'!$A$1", "Local": "Users!$B$9"}
    result = check_workbook(project, linked_workbook(tmp_path / "chain.xlsx", users_with_formula("OUTER"), names))
    problem = find(result, "cell-external-link")
    assert str(problem.location) == "chain.xlsx [Users] B2" and "where inner = '[1]Sheet1'!$A$1" in problem.message
    local = check_workbook(project, linked_workbook(tmp_path / "local.xlsx", users_with_formula("Local"), names))
    assert "cell-external-link" not in codes(local)  # a name inside this workbook is fine


def test_every_cell_of_a_shared_external_formula_is_an_error(project, tmp_path):
    body = users_with_formula("[1]Sheet1!$A$1", shared_child=True)
    result = check_workbook(project, linked_workbook(tmp_path / "shared.xlsx", body, {}))
    assert sorted(str(p.location) for p in result.errors if p.code == "cell-external-link") == [
        "shared.xlsx [Users] B2",
        "shared.xlsx [Users] B3",
    ]


@pytest.mark.parametrize(
    "formula",
    ["INDIRECT(&quot;[1]Sheet1!A1&quot;)", "INDIRECT(D2)", "'C:\\share\\[rates.xlsx]Sheet1'!$A$1"],
)
def test_indirect_and_file_named_references_in_a_linked_workbook_are_errors(project, tmp_path, formula):
    path = linked_workbook(tmp_path / "ind.xlsx", users_with_formula(formula), {})
    assert "cell-external-link" in codes(check_workbook(project, path))


def shared_strings(count: int, text: str = "a") -> str:
    return f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}">' + f"<si><t>{text}</t></si>" * count + "</sst>"


def test_shared_strings_far_beyond_the_matrix_cells_are_refused_before_calamine_loads_them(project, tmp_path):
    # 210,000 entries (3.6 MB of XML in a ~20 KB file): within the inflate budget, but calamine would keep
    # every one in memory; the matrix sheets have 10 cells, so 200,010 are allowed
    path = matrix_xlsx(tmp_path / "sst.xlsx", extra={"xl/sharedStrings.xml": shared_strings(210_000)})
    assert path.stat().st_size < 100_000
    problem = find(check_workbook(project, path), "file-too-large")
    assert "more than 200,010 entries: the matrix sheets have 10 cells" in problem.message


def test_shared_strings_larger_than_the_matrix_needs_are_refused_by_size(project, tmp_path):
    path = matrix_xlsx(tmp_path / "big.xlsx", extra={"xl/sharedStrings.xml": shared_strings(10, "x" * 4_000_000)})
    problem = find(check_workbook(project, path), "file-too-large")
    assert "xl/sharedStrings.xml (the text of every sheet) is 40,000," in problem.message


def test_shared_strings_the_matrix_uses_are_read(project, tmp_path):
    body = (
        rows_xml([["User", "Viewer", "MFA"]])
        + '<row r="2"><c r="A2" t="s"><v>0</v></c><c r="B2" t="s"><v>1</v></c><c r="C2" t="s"><v>1</v></c></row>'
    )
    strings = f'<?xml version="1.0"?><sst xmlns="{MAIN}"><si><t>ann@example.com</t></si><si><t>Y</t></si></sst>'
    result = check_workbook(project, matrix_xlsx(tmp_path / "ok.xlsx", body, extra={"xl/sharedStrings.xml": strings}))
    assert result.errors == [] and [u.name for u in result.state.users] == ["ann@example.com"]


@pytest.mark.parametrize("name", ["xl/SharedStrings.xml", "XL/SHAREDSTRINGS.XML", "xl\\sharedStrings.xml"])
def test_a_part_calamine_finds_under_another_spelling_is_checked_too(project, tmp_path, name):
    # calamine matches part names ignoring case and slashes: the guard must inspect what calamine reads
    bomb = f'<!DOCTYPE sst [<!ENTITY a "aaaaaaaaaa">]><sst xmlns="{MAIN}"><si><t>&a;</t></si></sst>'
    path = matrix_xlsx(tmp_path / "spelt.xlsx", extra={name: bomb})
    assert codes(check_workbook(project, path)) == ["file-xlsx-entities"]


def test_two_entries_a_reader_could_confuse_are_refused(project, tmp_path):
    path = matrix_xlsx(tmp_path / "twin.xlsx", extra={"XL/Worksheets/Sheet1.xml": sheet_xml(rows_xml(USERS))})
    problem = find(check_workbook(project, path), "file-xlsx")
    assert "two entries named 'xl/worksheets/sheet1.xml' and 'XL/Worksheets/Sheet1.xml'" in problem.message
