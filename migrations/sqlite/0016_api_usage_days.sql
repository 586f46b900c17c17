-- API calls counted per workspace and day (`YYYY-MM-DD`, UTC), so that usage can chart them by day;
-- a month's count is the sum of its days. The monthly counts kept before go to their month's first day.
CREATE TABLE api_usage_days (
    workspace_id TEXT NOT NULL,
    day TEXT NOT NULL,
    calls BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, day)
);
INSERT INTO api_usage_days (workspace_id, day, calls)
    SELECT workspace_id, month || '-01', calls FROM api_usage;
DROP TABLE api_usage;
