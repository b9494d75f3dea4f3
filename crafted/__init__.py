"""Input files built by hand, part by part, for the cases no spreadsheet program writes (a cell
at XFD1048576, an entity declaration, a zip bomb, a veryHidden twin sheet, external links):
the one builder the tests and the benchmarks share. Not the product (never packaged, never
imported by ``iam_matrix/``, ``components/`` or ``emulator/``), and it imports nothing of the
test tree, so a benchmark needs no ``tests/`` (tests/test_architecture.py holds both)."""
