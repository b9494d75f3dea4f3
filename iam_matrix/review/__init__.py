"""Review access changes: compile the matrix at two git refs and say, in a reviewer's
words, who gains or loses what (``python -m iam_matrix diff``)."""

from .diff import AccessDiff, Escalation, Revision, diff_revisions, diff_states

__all__ = ["AccessDiff", "Escalation", "Revision", "diff_revisions", "diff_states"]
