INSERT INTO†mysql.user VALUES ();
INSERT INTO caf√© VALUES ('†');
SET @caf√© = 1;
