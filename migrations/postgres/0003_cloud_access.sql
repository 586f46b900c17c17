-- Web App Cloud Access: a person's storage credentials in one workspace. The secret is sealed with the
-- server master key (AES-256-GCM, base64 of nonce and ciphertext); secret_mask is the form lists show.

CREATE TABLE cloud_access (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    user_id TEXT NOT NULL REFERENCES users(id),
    bucket TEXT NOT NULL,
    access_key TEXT NOT NULL,
    secret_sealed TEXT NOT NULL,
    secret_mask TEXT NOT NULL,
    region TEXT NOT NULL,
    host TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL,
    UNIQUE (workspace_id, user_id, bucket)
);
