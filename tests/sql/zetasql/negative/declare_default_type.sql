-- A DEFAULT that does not fit the declared type.
-- expect: has type STRING which cannot be coerced to target type DATE
DECLARE bqflat_day_from DATE DEFAULT '2024-01-01' || 'x';
