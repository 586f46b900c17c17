-- Identity providers: a workspace's OIDC and SAML connections. `settings` is the JSON of what is
-- not secret; `secret` holds the OIDC client secret or the SAML signing key, sealed with the
-- master key. `name_key` is the display name lower-cased: display names are unique per workspace
-- whatever their case. `version` counts saves, so that a stale editor gets a conflict.
CREATE TABLE identity_providers (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    protocol TEXT NOT NULL,
    provider TEXT NOT NULL,
    display_name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    active BIGINT NOT NULL,
    settings TEXT NOT NULL,
    secret TEXT,
    version BIGINT NOT NULL,
    created_ms BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL,
    updated_by TEXT NOT NULL
);
CREATE UNIQUE INDEX identity_providers_name ON identity_providers(workspace_id, name_key);

-- Who a provider's subject is in a workspace: made at a first login through an invitation or by
-- creating the account, then the only way (with an open invitation) a login finds an account.
CREATE TABLE identity_links (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id),
    connection_id TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    last_login_ms BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, issuer, subject)
);
CREATE INDEX identity_links_user ON identity_links(user_id);

-- Group memberships a synchronisation gave (and so may take back); an administrator's own
-- additions have no row here and stay.
CREATE TABLE identity_group_grants (
    group_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    connection_id TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    PRIMARY KEY (group_id, user_id)
);

-- Logins in flight: the hash of the `state` sent to the provider, with the nonce and PKCE verifier
-- (sealed) to check its answer with. A row is taken once (replay) and expires after ten minutes.
-- A test login before saving carries the editor's settings (sealed) and, once back, its outcome.
CREATE TABLE sso_requests (
    state_hash TEXT PRIMARY KEY,
    connection_id TEXT NOT NULL,
    workspace_id TEXT NOT NULL,
    purpose TEXT NOT NULL,
    sealed TEXT NOT NULL,
    requested_by TEXT,
    created_ms BIGINT NOT NULL,
    expires_ms BIGINT NOT NULL,
    used_ms BIGINT,
    outcome TEXT
);
CREATE INDEX sso_requests_expiry ON sso_requests(expires_ms);
