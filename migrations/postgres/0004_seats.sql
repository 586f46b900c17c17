-- The most members a workspace may have (active members and open invitations count); NULL: no limit.
ALTER TABLE workspaces ADD COLUMN max_members BIGINT;
