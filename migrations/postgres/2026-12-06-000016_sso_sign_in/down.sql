ALTER TABLE sessions DROP COLUMN sso_org_id;
DROP TABLE sso_flows;
DROP TABLE sso_identities;
