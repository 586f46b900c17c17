-- Verified e-mail addresses. An address counts as verified once its owner followed a link that was
-- delivered by e-mail, or when the server's operator made the account (`atrium user create`, the
-- set-up link). Existing accounts: those the audit log shows were made by the operator are verified;
-- accounts made through an invitation link (which an administrator handed over by hand) are not.
ALTER TABLE users ADD COLUMN email_verified BIGINT NOT NULL DEFAULT 0;
UPDATE users SET email_verified = 1
 WHERE kind = 'person'
   AND (id IN (SELECT object_id FROM audit_log WHERE action = 'user.create')
        OR id IN (SELECT actor_id FROM audit_log WHERE action = 'server.setup'));
-- Whether an invitation's current link went out by e-mail only (1) or was shown to the inviter (0).
ALTER TABLE invitations ADD COLUMN emailed BIGINT NOT NULL DEFAULT 0;
