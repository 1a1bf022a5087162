#include <stdio.h>

int main(void) {
    puts("hello from a binary with a package note");
    return 0;
}
