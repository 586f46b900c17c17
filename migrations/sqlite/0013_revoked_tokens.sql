-- Tokens ended by `auth.logout` before their expiry, by the token's id (its `session_id` claim).
-- A row is useless once the token has expired, and is deleted then.
CREATE TABLE revoked_tokens (
    token_id TEXT PRIMARY KEY,
    expires_ms BIGINT NOT NULL
);
