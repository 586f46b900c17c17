-- API credentials, workspace ownership, invitations, in-app notifications and API usage counters.

ALTER TABLE workspaces ADD COLUMN owner_id TEXT;
-- Longest lifetime, in days, an administrator allows for new credentials (NULL: no limit).
ALTER TABLE workspaces ADD COLUMN max_credential_days BIGINT;

CREATE TABLE credentials (
    id TEXT PRIMARY KEY,
    access_key TEXT NOT NULL UNIQUE,
    secret_hash TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id),
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    label TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    expires_ms BIGINT,
    last_used_ms BIGINT,
    last_used_from TEXT,
    revoked_ms BIGINT
);
CREATE INDEX credentials_user ON credentials(user_id, workspace_id);

CREATE TABLE invitations (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    email TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    invited_by TEXT NOT NULL REFERENCES users(id),
    created_ms BIGINT NOT NULL,
    expires_ms BIGINT NOT NULL,
    accepted_ms BIGINT,
    cancelled_ms BIGINT
);
CREATE INDEX invitations_workspace ON invitations(workspace_id, email);
CREATE INDEX invitations_email ON invitations(email);

CREATE TABLE api_usage (
    workspace_id TEXT NOT NULL,
    month TEXT NOT NULL,
    calls BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, month)
);
