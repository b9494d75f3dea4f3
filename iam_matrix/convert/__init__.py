"""``iam-matrix convert``: the matrix as one workbook or as two CSV files, so the project
keeps one copy of it (in the form its stack reads) and makes the other on demand."""
