-- A sign-up domain belongs to one organization: the primary key makes a second claim fail,
-- whichever organization races for it. The comma-separated organizations.signup_domains moves
-- here; where two organizations listed the same domain the first one (lowest id) keeps it.
-- Public mail services are left out (anyone can get an address there): the list below is the
-- code's list (src/orgs/domains.rs) as of this migration.
CREATE TABLE signup_domains (
    domain TEXT PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX signup_domains_org ON signup_domains (org_id, domain);

INSERT INTO signup_domains (domain, org_id, created_at)
SELECT domain, min(org_id), date_trunc('milliseconds', now() AT TIME ZONE 'UTC')
FROM (
    SELECT o.id AS org_id, lower(ltrim(btrim(part), '@')) AS domain
    FROM organizations o, regexp_split_to_table(o.signup_domains, '[,[:space:]]+') AS part
) split
WHERE domain <> ''
  AND domain NOT IN (
    'gmail.com', 'googlemail.com', 'ymail.com', 'rocketmail.com', 'live.com', 'live.co.uk',
    'live.fr', 'live.de', 'live.nl', 'live.it', 'live.ca', 'live.com.au', 'msn.com',
    'passport.com', 'windowslive.com', 'icloud.com', 'me.com', 'mac.com', 'aim.com',
    'proton.me', 'protonmail.com', 'protonmail.ch', 'pm.me', 'mail.com', 'email.com',
    'ya.ru', 'mail.ru', 'bk.ru', 'inbox.ru', 'list.ru', 'rambler.ru', 'zoho.com',
    'zohomail.com', 'fastmail.com', 'fastmail.fm', 'web.de', 't-online.de', 'freenet.de',
    'qq.com', 'foxmail.com', '163.com', '126.com', 'yeah.net', 'sina.com', 'sohu.com',
    'naver.com', 'daum.net', 'hanmail.net', 'tutanota.com', 'tutanota.de', 'tuta.io',
    'tuta.com', 'hey.com', 'hushmail.com', 'mailbox.org', 'posteo.de', 'posteo.net',
    'duck.com', 'orange.fr', 'wanadoo.fr', 'free.fr', 'laposte.net', 'sfr.fr', 'libero.it',
    'virgilio.it', 'tiscali.it', 'seznam.cz', 'wp.pl', 'o2.pl', 'interia.pl', 'onet.pl',
    'rediffmail.com', 'comcast.net', 'verizon.net', 'att.net', 'sbcglobal.net',
    'bellsouth.net', 'cox.net', 'btinternet.com', 'sky.com', 'virginmedia.com',
    'bigpond.com', 'shaw.ca', 'rogers.com', 'uol.com.br', 'bol.com.br', 'terra.com.br',
    'yopmail.com', 'mailinator.com', 'guerrillamail.com', '10minutemail.com'
  )
  AND domain NOT LIKE 'yahoo.%' AND domain NOT LIKE 'hotmail.%'
  AND domain NOT LIKE 'outlook.%' AND domain NOT LIKE 'aol.%'
  AND domain NOT LIKE 'gmx.%' AND domain NOT LIKE 'yandex.%'
GROUP BY domain;

ALTER TABLE organizations DROP COLUMN signup_domains;
