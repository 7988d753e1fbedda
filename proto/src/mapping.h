// Memory mappings for map_file (model_io.h). Apart from model_io.cc because
// <sys/mman.h> defines MAP_TYPE, which ONNX's text parser declares.
#pragma once

#include <cstddef>

namespace bb::ir::detail {

// `size` bytes of `fd` from its start mapped read-only, private and populated; nullptr
// with errno set when the mapping fails.
void* map_read_only(int fd, std::size_t size);
void unmap(void* at, std::size_t size) noexcept;
// Once per process: the SIGBUS handler map_file documents.
void install_sigbus_handler();

}  // namespace bb::ir::detail
