/* c */ SELECT 1 -- x
; # y
SELECT 2;
