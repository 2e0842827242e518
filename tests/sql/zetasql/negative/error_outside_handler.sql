-- @@error exists only inside an EXCEPTION handler.
-- expect: Unrecognized name: @@error
RAISE USING MESSAGE = @@error.message;
