-- A script that does not parse.
-- expect: Syntax error
DECLARE a INT64;
SELECT a FROM;
