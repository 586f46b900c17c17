-- Workspaces, people, sessions, preferences, login throttling, the audit log and server secrets.
-- Times are milliseconds since the epoch (UTC); ids are 32 hex characters; flags are 0/1 integers
-- (the same column types on SQLite and PostgreSQL).

CREATE TABLE workspaces (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_ms BIGINT NOT NULL
);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    password_hash TEXT,
    kind TEXT NOT NULL DEFAULT 'person',
    created_ms BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL
);

CREATE TABLE memberships (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    user_id TEXT NOT NULL REFERENCES users(id),
    role TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'active',
    created_ms BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, user_id)
);
CREATE INDEX memberships_user ON memberships(user_id);

CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    created_ms BIGINT NOT NULL,
    expires_ms BIGINT NOT NULL,
    last_seen_ms BIGINT NOT NULL,
    client_ip TEXT NOT NULL,
    tip_pending BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE user_preferences (
    user_id TEXT PRIMARY KEY REFERENCES users(id),
    data TEXT NOT NULL,
    updated_ms BIGINT NOT NULL
);

CREATE TABLE login_throttle (
    key TEXT PRIMARY KEY,
    window_start_ms BIGINT NOT NULL,
    failures BIGINT NOT NULL
);

CREATE TABLE audit_log (
    id TEXT PRIMARY KEY,
    workspace_id TEXT,
    at_ms BIGINT NOT NULL,
    actor_id TEXT NOT NULL,
    actor_name TEXT NOT NULL,
    actor_email TEXT NOT NULL,
    channel TEXT NOT NULL,
    action TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id TEXT NOT NULL,
    object_name TEXT NOT NULL,
    summary TEXT NOT NULL
);
CREATE INDEX audit_workspace_time ON audit_log(workspace_id, at_ms, id);

CREATE TABLE server_secrets (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    created_ms BIGINT NOT NULL
);

CREATE TABLE setup_tokens (
    token_hash TEXT PRIMARY KEY,
    expires_ms BIGINT NOT NULL,
    used BIGINT NOT NULL
);
