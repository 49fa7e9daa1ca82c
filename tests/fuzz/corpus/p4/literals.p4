const bit<32> a = 32w0xdead_beef; const int<8> b = 8s5; const bit<4> c = 0b1010; const bit<8> d = 8w255 |+| 1;
