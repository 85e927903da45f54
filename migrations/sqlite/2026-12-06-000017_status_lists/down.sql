ALTER TABLE revoked_tokens DROP COLUMN status_idx;
ALTER TABLE revoked_tokens DROP COLUMN status_list;
DROP TABLE status_runs;
DROP TABLE status_ranges;
DROP TABLE status_lists;
