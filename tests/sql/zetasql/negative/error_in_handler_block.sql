-- A broken statement inside BEGIN ... EXCEPTION ... END and inside a WHILE loop is still analyzed.
-- expect: Unrecognized name: evnt_name
DECLARE i INT64 DEFAULT 0;
WHILE i < 2 DO
  BEGIN
    BEGIN TRANSACTION;
    SELECT evnt_name FROM `my-gcp-project.raw_events.events_*`;
    COMMIT TRANSACTION;
  EXCEPTION WHEN ERROR THEN
    ROLLBACK TRANSACTION;
    RAISE USING MESSAGE = @@error.message;
  END;
  SET i = i + 1;
END WHILE;
