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
    }
  ]
}
