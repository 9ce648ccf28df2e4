-- Records people own in the products (contacts, leads, clients): reassigned or left without an
-- owner when their owner is deleted. Filled by CSV import.
CREATE TABLE owned_records (
    id INTEGER PRIMARY KEY NOT NULL,
    org_id BIGINT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('contact', 'lead', 'client')),
    reference TEXT NOT NULL,
    owner_id BIGINT REFERENCES users(id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (org_id, kind, reference)
);
CREATE INDEX owned_records_owner ON owned_records (owner_id, kind);
