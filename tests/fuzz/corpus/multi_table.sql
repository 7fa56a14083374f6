DELETE a, b FROM mysql.user a JOIN t b ON a.x = b.y USING (c);
