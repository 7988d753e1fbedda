// The address book of a real-network node: `bbrun --peers PEERS.toml`.
//
//   [[peer]]
//   id = "12D3KooW…"           # or "id:<name>" with --insecure
//   address = "10.0.0.7:7001"  # host:port
//
// Errors name the file, the line and the key, like the deployment file's.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "bb/ir/expected.h"
#include "bb/net/grpc_transport.h"
#include "bb/runtime/toml_error.h"

namespace bb::net {

Expected<std::vector<PeerAddress>, runtime::TomlError> parse_peers(std::string_view text, const std::string& file);
Expected<std::vector<PeerAddress>, runtime::TomlError> load_peers(const std::filesystem::path& path);

}  // namespace bb::net
