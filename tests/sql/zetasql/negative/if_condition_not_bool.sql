-- An IF condition that is not a BOOL.
-- expect: has type TIMESTAMP which cannot be coerced to target type BOOL
DECLARE bqflat_ts_from TIMESTAMP;
IF bqflat_ts_from THEN
  SET bqflat_ts_from = CURRENT_TIMESTAMP();
END IF;
