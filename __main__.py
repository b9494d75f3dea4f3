"""The Pulumi program of iam-matrix: ``pulumi up`` deploys what ``python -m iam_matrix plan``
prints for the same stack. All of the matrix logic is in ``iam_matrix``; see
docs/pulumi-program.md."""

from pathlib import Path

from components.audit_baseline import deploy_from_stack
from components.program import main
from iam_matrix.settings import find_project_dir

# Pulumi runs the program from the project folder; tests run it from a copy of it.
# AuditBaseline (CloudTrail, Config IAM rules, Access Analyzer) only when iam-matrix:auditBaseline is set.
deploy_from_stack(find_project_dir(Path.cwd()))
main(find_project_dir(Path.cwd()))
