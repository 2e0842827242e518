-- A misspelt table option.
-- expect: Unknown option: descripton
CREATE TABLE IF NOT EXISTS `my-gcp-project.analytics_flat.t` (a INT64)
OPTIONS (descripton = 'x');
