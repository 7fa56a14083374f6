UPDATE { x mysql.global_priv } SET Priv = '{}';
DELETE FROM { OJ `mysql` . `global_priv` } WHERE User = 'u';
UPDATE t s, { oj mysql.db } SET s.a = 1;
