// SHA-256 (FIPS 180-4), for the checkpoint sidecar's file checksums: `sha256sum` gives the same hex.
#pragma once
#include <cstddef>
#include <string>

namespace birnn::io {

/// Lower-case hex digest of n bytes.
std::string sha256_hex(const void* data, std::size_t n);

}  // namespace birnn::io
