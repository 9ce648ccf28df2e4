ALTER TABLE organizations ADD COLUMN signup_domains TEXT NOT NULL DEFAULT '';
UPDATE organizations o SET signup_domains = COALESCE((
    SELECT string_agg(d.domain, ', ' ORDER BY d.domain) FROM signup_domains d WHERE d.org_id = o.id
), '');
DROP TABLE signup_domains;
