"""The Pulumi program of iam-matrix: ``pulumi up`` deploys what ``python -m iam_matrix plan``
prints for the same stack. All of the matrix logic is in ``iam_matrix``; see
docs/pulumi-program.md."""

from pathlib import Path

from components.program import main
from iam_matrix.settings import find_project_dir

# Pulumi runs the program from the project folder; tests run it from a copy of it.
main(find_project_dir(Path.cwd()))
