{
  "targets": [
    {
      "target_name": "meridio_nfqueue",
      "sources": [
        "native/addon.cc",
        "native/conntrack.cc",
        "native/flow_key.cc",
        "native/packet_queue.cc",
        "native/shared_table.cc"
      ],
      "dependencies": ["<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except"],
      "defines": ["NAPI_VERSION=8"],
      "cflags_cc": ["-O2", "-Wall", "-Wextra"],
      "libraries": ["-lnetfilter_queue", "-lmnl"]
    }
  ]
}
