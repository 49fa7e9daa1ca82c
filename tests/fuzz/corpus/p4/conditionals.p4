#if defined(X) && 1
foo
#elif 2 > 1 ? 1 : 0
bar
#else
baz
#endif
#ifdef Y
#error no
#endif
