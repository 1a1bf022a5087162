# Derivations built by make-store.sh with /bin/sh as builder (no nixpkgs, no network): store
# paths named the way nixpkgs names them, one with several outputs, one depending on others.
let
  mk = { name, outputs ? [ "out" ], script }: derivation {
    inherit name outputs;
    system = builtins.currentSystem;
    builder = "/bin/sh";
    args = [ "-c" ("PATH=/usr/bin:/bin; " + script) ];
  };
  zlib = mk {
    name = "zlib-1.3.1";
    outputs = [ "out" "dev" ];
    script = ''
      mkdir -p $out/lib $dev/include
      echo 'zlib shared object' > $out/lib/libz.so.1.3.1
      echo '#define ZLIB_VERSION "1.3.1"' > $dev/include/zlib.h
    '';
  };
  glibc = mk {
    name = "glibc-2.39-52";
    outputs = [ "out" "bin" ];
    script = ''
      mkdir -p $out/lib $bin/bin
      echo 'libc' > $out/lib/libc.so.6
      printf '#!/bin/sh\n# uses %s\n' $out > $bin/bin/ldd
    '';
  };
  hello = mk {
    name = "hello-2.12.1";
    script = ''
      mkdir -p $out/bin $out/share/man/man1
      printf '#!/bin/sh\n# links %s %s\necho hello\n' ${glibc} ${zlib} > $out/bin/hello
      echo '.TH HELLO 1' > $out/share/man/man1/hello.1
    '';
  };
  tool = mk {
    name = "my-tool-unstable-2024-05-01";
    script = ''
      mkdir -p $out/bin
      printf '#!/bin/sh\n# %s\n' ${hello} > $out/bin/my-tool
    '';
  };
  python = mk {
    name = "python3.12-requests-2.31.0";
    script = ''
      mkdir -p $out/lib
      echo 'requests' > $out/lib/requests.py
    '';
  };
  single = mk {
    name = "source-tarball";
    script = "echo data > $out";
  };
in { inherit zlib glibc hello tool python single; zlib-dev = zlib.dev; glibc-bin = glibc.bin; }
