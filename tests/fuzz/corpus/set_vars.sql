SET @a := 1, GLOBAL b = 2, @@session.sql_mode = 'ANSI', autocommit = 0;
