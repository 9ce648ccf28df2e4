ALTER TABLE organizations ADD COLUMN signup_domains TEXT NOT NULL DEFAULT '';
UPDATE organizations SET signup_domains = COALESCE((
    SELECT group_concat(domain, ', ') FROM (
        SELECT domain FROM signup_domains d WHERE d.org_id = organizations.id ORDER BY domain
    )
), '');
DROP TABLE signup_domains;
