-- Resource configuration: a workspace's pools, profiles and policies as two JSON documents — the
-- editor's saved one and the provisioned one that runs — each with a version that counts saves
-- and provisions, so that a stale editor gets a conflict. `enabled`: whether policy queues are
-- served (resource management on).
CREATE TABLE resource_configurations (
    workspace_id TEXT PRIMARY KEY REFERENCES workspaces(id),
    saved TEXT NOT NULL,
    saved_version BIGINT NOT NULL,
    provisioned TEXT NOT NULL,
    provisioned_version BIGINT NOT NULL,
    enabled BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL,
    updated_by TEXT NOT NULL
);

-- The queues provisioning made: a policy's queue (tasks wait there for the allocator) or a pool's
-- queue (admitted tasks wait there for the pool's agents). Their ids are the catalog queues' ids.
CREATE TABLE resource_queues (
    queue_id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    role TEXT NOT NULL,
    policy_id TEXT,
    profile_id TEXT,
    pool_id TEXT,
    group_id TEXT
);
CREATE INDEX resource_queues_workspace ON resource_queues(workspace_id);

-- The jobs the allocator admitted and that hold resources: until the task ends, is dequeued,
-- reset or deleted.
CREATE TABLE resource_jobs (
    task_id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    policy_id TEXT NOT NULL,
    queue_id TEXT NOT NULL,
    profile_id TEXT NOT NULL,
    pool_id TEXT NOT NULL,
    amount BIGINT NOT NULL,
    admitted_ms BIGINT NOT NULL
);
CREATE INDEX resource_jobs_workspace ON resource_jobs(workspace_id);
