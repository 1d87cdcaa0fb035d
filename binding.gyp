{
  "targets": [
    {
      "target_name": "pyagent_kernels",
      "sources": [
        "native/addon.cc",
        "native/dot_avx2.cc",
        "native/dot_avx512.cc",
        "native/dot_scalar.cc",
        "native/f16.cc",
        "native/matmul.cc",
        "native/ops.cc",
        "native/thread_pool.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags_cc!": ["-fno-exceptions", "-O2"],
      "cflags_cc": ["-std=c++17", "-O3", "-fno-math-errno"],
      "cflags!": ["-O2"],
      "cflags": ["-O3"],
      "libraries": ["-lpthread"],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "OTHER_CPLUSPLUSFLAGS": ["-std=c++17", "-O3"]
      }
    },
    {
      "target_name": "pyagent_python",
      "sources": [
        "native/python_parser.cc",
        "node_modules/tree-sitter/vendor/tree-sitter/lib/src/lib.c",
        "node_modules/tree-sitter-python/src/parser.c",
        "node_modules/tree-sitter-python/src/scanner.c"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "node_modules/tree-sitter/vendor/tree-sitter/lib/include",
        "node_modules/tree-sitter/vendor/tree-sitter/lib/src",
        "node_modules/tree-sitter-python/src"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags_cc!": ["-fno-exceptions", "-O2"],
      "cflags_cc": ["-std=c++17", "-O2"],
      "cflags!": ["-O2"],
      "cflags": ["-O2"],
      "cflags_c": ["-std=gnu11", "-w"],
      "xcode_settings": {
        "OTHER_CPLUSPLUSFLAGS": ["-std=c++17", "-O2"],
        "OTHER_CFLAGS": ["-std=gnu11", "-O2"]
      }
    }
  ]
}
