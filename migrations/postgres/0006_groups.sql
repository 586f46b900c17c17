-- User groups. Built-in groups have a `builtin` kind: 'users' and 'admins' take their members from
-- memberships and roles; 'queue_admins' and custom groups list theirs in group_members.
CREATE TABLE user_groups (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    builtin TEXT,
    created_ms BIGINT NOT NULL
);
CREATE UNIQUE INDEX user_groups_name ON user_groups(workspace_id, name);
CREATE UNIQUE INDEX user_groups_builtin ON user_groups(workspace_id, builtin);

CREATE TABLE group_members (
    group_id TEXT NOT NULL REFERENCES user_groups(id),
    user_id TEXT NOT NULL REFERENCES users(id),
    PRIMARY KEY (group_id, user_id)
);
