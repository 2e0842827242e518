-- SET assigns a DATE to an INT64 variable.
-- expect: has type DATE which cannot be coerced to target type INT64
DECLARE bqflat_rows INT64 DEFAULT 0;
SET bqflat_rows = CURRENT_DATE();
