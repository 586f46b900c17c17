-- Whether a workspace's people may log in with a password; an administrator turns it off once an
-- identity provider connection works (the operator's command line can always turn it back on).
ALTER TABLE workspaces ADD COLUMN password_login BIGINT NOT NULL DEFAULT 1;
-- How a browser session was opened: 'password' or 'sso'. A session opened with a password cannot
-- switch into a workspace whose people log in only through its identity provider.
ALTER TABLE sessions ADD COLUMN via TEXT NOT NULL DEFAULT 'password';
