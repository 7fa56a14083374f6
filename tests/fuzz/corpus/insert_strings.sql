INSERT INTO students (name) VALUES ('a;b'), ('it\'s'), ("dq"), ('x''y');
