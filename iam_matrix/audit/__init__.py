"""Periodic audit (issue 4): compare the live account with the matrix, and check MFA, the
password policy, credentials and logging, in a handful of API calls.

* ``gather`` reads the account (the only boto3 user in iam_matrix);
* ``checks/`` turns (desired state, snapshot, options, access log) into findings, purely, one
  module per area (``checks/__init__.py`` lists them);
* ``report`` renders text, JSON, Markdown and HTML;
* ``command`` is ``python -m iam_matrix audit``.

Nothing is imported here so the pure modules can be used without boto3 installed.
"""
