-- DECLARE after another statement: BigQuery rejects it.
-- expect: Variable declarations are allowed only at the start of a block or script
DECLARE a INT64;
SET a = 1;
DECLARE b INT64;
