#define ZLIB_VERSION "1.3.1"
