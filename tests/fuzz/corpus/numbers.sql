SELECT 1.5e3, 0x1F, .5, 1abc, 0b101, X'0A', _utf8mb4'x';
