DROP TABLE acknowledgements;
DROP TABLE throttles;
DROP TABLE recovery_codes;
DROP TABLE webauthn_ceremonies;
DROP TABLE webauthn_credentials;
DROP TABLE totp_factors;
