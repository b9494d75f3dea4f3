"""``iam-matrix convert``: CSV files <-> workbook, with the editing and printing aids, and the
same bytes for the same content."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest

from iam_matrix.cli import main
from iam_matrix.writers import EXCEL_LAST_ROW, cell_text
from tests.project import REPO, Project


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project.copy(tmp_path / "project")


def convert(project: Project, *args: str) -> int:
    return main(["convert", "--project-dir", str(project.root), *args])


def test_csv_to_workbook_and_back_gives_the_same_files(project: Project, tmp_path: Path, capsys) -> None:
    book = project.root / "book.xlsx"  # a matrix file the stack (or --workbook) reads is inside the project
    assert convert(project, "--output", str(book)) == 0
    assert f"wrote {book} (users.csv 12 rows x 7 columns; policies.csv 43 rows x 6 columns)" in capsys.readouterr().err
    assert convert(project, "--workbook", str(book), "--output", str(tmp_path / "back")) == 0
    for name in ("users.csv", "policies.csv"):
        assert (tmp_path / "back" / name).read_bytes() == (project.root / "matrix" / name).read_bytes(), name


def test_the_workbook_compiles_to_the_same_desired_state(project: Project) -> None:
    csv_state = project.check().state
    assert project.check(workbook=project.convert_to_workbook()).state.to_dict() | {
        "warnings": None
    } == csv_state.to_dict() | {"warnings": None}


def test_same_content_same_bytes(project: Project, tmp_path: Path) -> None:
    """Fixed document timestamps and zip entry dates, in another process with another hash seed too."""
    first = project.root / project.convert_to_workbook("first.xlsx")
    args = ["convert", "--project-dir", str(project.root), "--output", str(tmp_path / "second.xlsx")]
    code = f"from iam_matrix.cli import main; raise SystemExit(main({args!r}))"
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": str(REPO)}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, capture_output=True)
    assert first.read_bytes() == (tmp_path / "second.xlsx").read_bytes()
    with zipfile.ZipFile(first) as archive:
        assert {entry.date_time for entry in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        core = archive.read("docProps/core.xml").decode()
    assert '<dcterms:created xsi:type="dcterms:W3CDTF">1980-01-01T00:00:00Z</dcterms:created>' in core
    project.edit("matrix/users.csv", "lamp@demoasacode.io,,Y", "lamp@demoasacode.io,Y,Y")
    assert (project.root / project.convert_to_workbook("third.xlsx")).read_bytes() != first.read_bytes()


def test_the_workbook_is_made_to_be_edited_and_printed(project: Project) -> None:
    book = openpyxl.load_workbook(project.root / project.convert_to_workbook())
    assert book.sheetnames == ["Users", "Policies", "ReadMe"]
    users, policies = book["Users"], book["Policies"]
    assert users.freeze_panes == "B2" and policies.freeze_panes == "B2"
    [marks] = users.data_validations.dataValidation
    assert (marks.type, marks.formula1, marks.errorStyle) == ("list", '"Y,N"', "warning")
    # every role column and MFA (B..G) down to Excel's last row, and every column right of the table
    assert str(marks.sqref) == " ".join(f"{c}2:{c}{EXCEL_LAST_ROW}" for c in "BCDEFG") + f" H2:XFD{EXCEL_LAST_ROW}"
    assert "Y" in users["A1"].comment.text and "MFA" in users["G1"].comment.text and policies["A1"].comment is not None
    for sheet in (users, policies):
        assert sheet.print_title_rows == "$1:$1"  # the header row on every printed page
        assert sheet.page_setup.orientation == "landscape"
        assert (sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight) == (1, 0)
        assert sheet.sheet_properties.pageSetUpPr.fitToPage is True
    readme = "\n".join(row[0].value for row in book["ReadMe"].iter_rows())
    assert "never both" in readme and "iam-matrix convert --workbook" in readme


def test_comment_columns_get_no_dropdown(project: Project) -> None:
    project.write("matrix/users.csv", "User,# note,Viewer,MFA\na@x.io,ask Bob,Y,Y\n")
    project.write("matrix/policies.csv", "Policies,Viewer\nReadOnlyAccess,Y\n")
    [marks] = openpyxl.load_workbook(project.root / project.convert_to_workbook())[
        "Users"
    ].data_validations.dataValidation
    assert str(marks.sqref) == f"C2:C{EXCEL_LAST_ROW} D2:D{EXCEL_LAST_ROW} E2:XFD{EXCEL_LAST_ROW}"


def test_a_csv_cell_never_becomes_a_formula(project: Project) -> None:
    project.write("matrix/users.csv", 'User,Viewer,MFA\n"=HYPERLINK(""http://evil.example"",""x"")",Y,Y\n')
    project.write("matrix/policies.csv", "Policies,Viewer\nReadOnlyAccess,Y\n")
    cell = openpyxl.load_workbook(project.root / project.convert_to_workbook())["Users"]["A2"]
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")


def test_workbook_values_become_the_text_a_csv_holds() -> None:
    assert [cell_text(v) for v in (True, False, 1.0, 2.5, None, "", " Y ")] == [
        "TRUE",
        "FALSE",
        "1",
        "2.5",
        "",
        "",
        " Y ",
    ]


def test_workbook_to_csv_writes_a_folder(project: Project, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.title = "Users"
    for row in (["User", "Viewer", "MFA"], ["a@x.io", True, 1]):
        book["Users"].append(row)
    book.create_sheet("Policies").append(["Policies", "Viewer"])
    book["Policies"].append(["ReadOnlyAccess", "Y"])
    book.save(project.root / "excel.xlsx")
    assert convert(project, "--workbook", str(project.root / "excel.xlsx"), "--output", str(tmp_path / "out")) == 0
    assert (tmp_path / "out" / "users.csv").read_text() == "User,Viewer,MFA\na@x.io,TRUE,1\n"
    assert (tmp_path / "out" / "policies.csv").read_text() == "Policies,Viewer\nReadOnlyAccess,Y\n"


def test_wrong_output_kind_unreadable_input_and_symlinks_are_bad_input(
    project: Project, tmp_path: Path, capsys
) -> None:
    assert convert(project, "--output", str(tmp_path / "book.csv")) == 2
    assert "pass --output NAME.xlsx" in capsys.readouterr().err
    book = project.root / project.convert_to_workbook()
    assert convert(project, "--workbook", str(book), "--output", str(tmp_path / "x.xlsx")) == 2
    assert "pass --output FOLDER" in capsys.readouterr().err
    (tmp_path / "link.xlsx").symlink_to(tmp_path / "elsewhere.xlsx")
    assert convert(project, "--output", str(tmp_path / "link.xlsx")) == 2
    assert not (tmp_path / "elsewhere.xlsx").exists()
    (project.root / "matrix/users.csv").unlink()
    assert convert(project, "--output", str(tmp_path / "book.xlsx")) == 2
    err = capsys.readouterr().err
    assert "users.csv: error [file-missing]: file not found" in err and "Traceback" not in err
