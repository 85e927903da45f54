DROP TABLE client_roles;
DROP TABLE clients;
DROP TABLE roles;
DROP TABLE organizations;
