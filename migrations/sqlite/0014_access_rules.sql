-- Access rules: a kind of catalog object (project, task, model, dataview, dataset, queue), one
-- object of it or all (`object_id` NULL), the permission granted ('read' or 'modify'), and the
-- subjects it grants to. An object a rule covers is open only to the rule's subjects.
CREATE TABLE access_rules (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    kind TEXT NOT NULL,
    object_id TEXT,
    permission TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL
);
CREATE INDEX access_rules_workspace ON access_rules(workspace_id, kind, object_id);

-- Who a rule grants to: users and service accounts by their user id, groups by the group's id.
-- A deleted group or a member who leaves loses exactly these rows; the rule stays, still covering
-- its object.
CREATE TABLE access_rule_subjects (
    rule_id TEXT NOT NULL REFERENCES access_rules(id) ON DELETE CASCADE,
    workspace_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    PRIMARY KEY (rule_id, subject_id)
);
CREATE INDEX access_rule_subjects_subject ON access_rule_subjects(workspace_id, subject_id);
