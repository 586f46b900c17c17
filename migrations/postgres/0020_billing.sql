-- Usage & billing: plans, billing information and invoices. (The bytes a workspace stores are
-- the sum of its `stored_files`; its API calls are in `api_usage_days`.)

-- A workspace's plan over time: each row starts a span that lasts until the next one. No row: Free.
CREATE TABLE billing_plans (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    from_ms BIGINT NOT NULL,
    plan TEXT NOT NULL,
    by_user TEXT NOT NULL,
    PRIMARY KEY (workspace_id, from_ms)
);

-- Who is billed and how, as the workspace's administrators entered it (never card data).
CREATE TABLE billing_info (
    workspace_id TEXT PRIMARY KEY REFERENCES workspaces(id),
    name TEXT NOT NULL,
    company TEXT NOT NULL,
    address TEXT NOT NULL,
    vat_id TEXT NOT NULL,
    email TEXT NOT NULL,
    payment_method TEXT NOT NULL,
    terms_accepted_ms BIGINT,
    updated_ms BIGINT NOT NULL
);

-- Issued invoices: at most one per workspace and period, numbered 1, 2, 3… per workspace without
-- gaps. `document`: what the invoice says (JSON: lines, who is billed, the usage it charges).
CREATE TABLE invoices (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    seq BIGINT NOT NULL,
    period TEXT NOT NULL,
    issued_ms BIGINT NOT NULL,
    currency TEXT NOT NULL,
    total_cents BIGINT NOT NULL,
    document TEXT NOT NULL,
    PRIMARY KEY (workspace_id, seq),
    UNIQUE (workspace_id, period)
);
