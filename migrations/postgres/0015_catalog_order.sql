-- Listings order and page in SQL: the document's `created` (ClearML's ISO text, compared as text
-- as the listing compares it, byte by byte: collation "C") and its flags (1: system tag `hidden`,
-- 2: system tag `example`) beside it, written with the document.
ALTER TABLE catalog ADD COLUMN created TEXT NOT NULL DEFAULT '';
ALTER TABLE catalog ADD COLUMN flags BIGINT NOT NULL DEFAULT 0;
UPDATE catalog SET
    created = COALESCE(CAST(doc AS jsonb) ->> 'created', ''),
    flags = (CASE WHEN COALESCE(CAST(doc AS jsonb) -> 'system_tags' @> '["hidden"]'::jsonb, false) THEN 1 ELSE 0 END)
          + (CASE WHEN COALESCE(CAST(doc AS jsonb) -> 'system_tags' @> '["example"]'::jsonb, false) THEN 2 ELSE 0 END);
-- The listings' order; with `project_id` and `flags` in it, what the access rules and the hidden
-- and example flags look at is judged from the index before a row is read.
CREATE INDEX catalog_order ON catalog(workspace_id, kind, created COLLATE "C", id COLLATE "C", project_id, flags);
CREATE INDEX catalog_by_name ON catalog(workspace_id, kind, name COLLATE "C", created COLLATE "C", id COLLATE "C", project_id, flags);
