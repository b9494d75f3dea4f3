"""The output folder: nothing is written outside it or through a symlink; xlsx cells are text."""

from __future__ import annotations

from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from iam_matrix.writers import OutputFolder, UnsafePath, workbook_bytes


@pytest.mark.parametrize(
    "relative",
    ["../x.json", "policies/../../x.json", "/etc/x.json", "policies//x.json", "policies/./x.json", "a\\..\\x", ""],
)
def test_paths_that_leave_the_folder_are_refused(tmp_path: Path, relative: str) -> None:
    folder = OutputFolder(tmp_path / "out")
    with pytest.raises(UnsafePath):
        folder.write(relative, "{}")
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["out"]


def test_symlinks_are_never_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "policies").symlink_to(outside)
    (tmp_path / "out" / "Pulumi.dev.yaml").symlink_to(outside / "stolen.yaml")
    folder = OutputFolder(tmp_path / "out")
    with pytest.raises(UnsafePath, match="symlink"):
        folder.write("policies/x.json", "{}")
    with pytest.raises(UnsafePath, match="symlink"):
        folder.write("Pulumi.dev.yaml", "config: {}")
    assert list(outside.iterdir()) == []
    (tmp_path / "link").symlink_to(outside)
    with pytest.raises(UnsafePath):
        OutputFolder(tmp_path / "link")


def test_workbook_cells_are_text_even_when_they_look_like_formulas(tmp_path: Path) -> None:
    target = OutputFolder(tmp_path).write(
        "matrix/iam-matrix.xlsx",
        workbook_bytes(
            [["User", "Dev", "MFA"], ['=HYPERLINK("x")', "Y", ""]], [["Policies", "Dev"], ["ReadOnlyAccess", "Y"]]
        ),
    )
    book = CalamineWorkbook.from_path(str(target))
    assert book.get_sheet_by_name("Users").to_python()[1][0] == '=HYPERLINK("x")'
    with open(target, "rb") as handle:
        import zipfile

        sheet = zipfile.ZipFile(handle).read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in sheet
