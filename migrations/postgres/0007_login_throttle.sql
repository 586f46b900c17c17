-- Failed-login counters: one row per address, per name at an address and per name, each with the time
-- it may be forgotten. The old per-name counters are dropped (they only ever held short-lived state).
DROP TABLE login_throttle;

CREATE TABLE login_throttle (
    key TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,
    window_start_ms BIGINT NOT NULL,
    not_before_ms BIGINT NOT NULL,
    expires_ms BIGINT NOT NULL
);
CREATE INDEX login_throttle_expires ON login_throttle(expires_ms);
