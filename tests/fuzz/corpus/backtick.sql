INSERT INTO `we``ird;` (`a`) VALUES (@`v;x`);
