-- Configuration vaults. A personal vault (scope 'user') belongs to one person in one workspace; an
-- administrator vault (scope 'group') is named and delivered to the members of one user group. The
-- text as written and the JSON it parses to are both sealed with the master key (vaults hold
-- secrets). `version` goes up with every save: a save must name the version it read.
CREATE TABLE vaults (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    scope TEXT NOT NULL,
    user_id TEXT REFERENCES users(id),
    group_id TEXT REFERENCES user_groups(id),
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    format TEXT NOT NULL,
    enabled BIGINT NOT NULL,
    text_sealed TEXT NOT NULL,
    data_sealed TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_ms BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL,
    updated_by TEXT NOT NULL
);
CREATE UNIQUE INDEX vaults_personal ON vaults(workspace_id, user_id) WHERE scope = 'user';
CREATE UNIQUE INDEX vaults_group_name ON vaults(workspace_id, name) WHERE scope = 'group';
CREATE INDEX vaults_group ON vaults(group_id);
