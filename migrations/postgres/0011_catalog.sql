-- The ClearML objects the settings govern: projects, tasks, models, queues, datasets and dataviews.
-- Each object is the JSON document ClearML's API answers with (`doc`); the columns beside it are
-- copies of the fields listings narrow by, written together with the document. Project, queue and
-- dataset names are unique in a workspace.
CREATE TABLE catalog (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    project_id TEXT,
    status TEXT,
    doc TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL
);
CREATE UNIQUE INDEX catalog_project_name ON catalog(workspace_id, name) WHERE kind = 'project';
CREATE UNIQUE INDEX catalog_queue_name ON catalog(workspace_id, name) WHERE kind = 'queue';
CREATE UNIQUE INDEX catalog_dataset_name ON catalog(workspace_id, name) WHERE kind = 'dataset';
CREATE INDEX catalog_listing ON catalog(workspace_id, kind, project_id);

-- A queued task's place in its queue (a task is in one queue at most). Positions grow at the back
-- and shrink at the front; the smallest is handed out next.
CREATE TABLE queue_entries (
    task_id TEXT PRIMARY KEY REFERENCES catalog(id) ON DELETE CASCADE,
    queue_id TEXT NOT NULL REFERENCES catalog(id) ON DELETE CASCADE,
    workspace_id TEXT NOT NULL,
    position BIGINT NOT NULL,
    added_ms BIGINT NOT NULL
);
CREATE INDEX queue_entries_order ON queue_entries(queue_id, position);

-- Workers (clearml-agent daemons) that registered; one that stops reporting expires.
CREATE TABLE workers (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    doc TEXT NOT NULL,
    last_activity_ms BIGINT NOT NULL,
    expires_ms BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, id)
);

-- Events a running task reports (scalars, plots, console lines), kept up to a bound per task.
CREATE TABLE task_events (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    task_id TEXT NOT NULL REFERENCES catalog(id) ON DELETE CASCADE,
    type TEXT NOT NULL,
    timestamp_ms BIGINT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX task_events_task ON task_events(task_id, timestamp_ms);
