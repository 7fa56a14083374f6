SET @@global /**/.max_connections = 77;
SET @@global .max_connections = 78;
SET @@`global`.max_connections = 1;
SET `sql_mode` = 'ANSI';
SET @@session #c
 . autocommit = 0;
SET NAMES latin1, @@global.max_connections = 77;
SET @a = 1, NAMES sjis, PASSWORD = PASSWORD('x');
UPDATE mysql.5abc SET a = 1;
