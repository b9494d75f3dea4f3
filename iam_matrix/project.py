"""The project's name: the prefix of its config keys (``iam-matrix:``), resource names and tags.

A leaf module, so value types and readers alike can use it without importing each other."""

PROJECT = "iam-matrix"
