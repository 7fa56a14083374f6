SELECT * FROM students WHERE id = 1;
