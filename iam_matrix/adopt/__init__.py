"""``adopt``: an existing AWS account -> the draft matrix, stack file, import file and residue
report that let a team manage it with iam-matrix without the first ``pulumi up`` changing it.

snapshot (audit.gather) -> draft -> files -> compile check -> import plan -> residue report.
"""
