INSERT INTO students (name) VALUES ('Zoë'), ('名前');
