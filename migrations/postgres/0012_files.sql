-- The file server's stored files: one row per file in a workspace's space, with its size, so that a
-- workspace's stored bytes are one sum. A row is written in the transaction that puts the file in
-- place (an overwrite replaces the size), and removed with the file.
CREATE TABLE stored_files (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    path TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    created_ms BIGINT NOT NULL,
    uploaded_by TEXT NOT NULL,
    PRIMARY KEY (workspace_id, path)
);
