DROP INDEX email_outbox_due_kind;
