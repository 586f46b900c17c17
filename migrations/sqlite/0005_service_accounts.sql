-- Service accounts are users of kind 'service'; one may be allowed to impersonate members.
ALTER TABLE users ADD COLUMN allow_impersonation BIGINT NOT NULL DEFAULT 0;
