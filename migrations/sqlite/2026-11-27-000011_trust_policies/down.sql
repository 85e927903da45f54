DROP TABLE trust_policies;
