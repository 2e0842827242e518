-- SET of a variable that was never declared.
-- expect: Undeclared variable: bqflat_rowz
DECLARE bqflat_rows INT64 DEFAULT 0;
SET bqflat_rowz = 1;
