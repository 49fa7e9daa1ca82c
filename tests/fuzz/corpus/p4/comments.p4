/* a */ // b
@name("x") @pragma[1] bit<8>> x; "str\n";
