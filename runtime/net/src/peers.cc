#include "bb/net/peers.h"

#include <fstream>
#include <set>
#include <sstream>

#include "bb/runtime/toml_reader.h"

namespace bb::net {
namespace {

using Kind = runtime::TomlError::Kind;
constexpr std::uintmax_t kMaxFileBytes = 4u << 20;

}  // namespace

Expected<std::vector<PeerAddress>, runtime::TomlError> parse_peers(std::string_view text, const std::string& file) {
  auto root = runtime::parse_toml(text, file);
  if (!root) return unexpected(std::move(root.error()));
  runtime::TomlReader r(file);
  std::vector<PeerAddress> out;
  auto fail = [&]() -> Expected<std::vector<PeerAddress>, runtime::TomlError> { return unexpected(r.take_error()); };
  if (!r.only_keys(*root, "", {"peer"}, "unknown key: a peers file has only [[peer]] sections")) return fail();
  const toml::node* list = root->get("peer");
  if (list == nullptr) return out;
  const toml::array* peers = list->as_array();
  if (peers == nullptr || !peers->is_array_of_tables()) {
    r.wrong_type(*list, "peer", "an array of tables", "write [[peer]] sections");
    return fail();
  }
  std::set<PeerId> seen;
  for (std::size_t i = 0; i < peers->size(); ++i) {
    const toml::table& table = *peers->get(i)->as_table();
    const std::string prefix = "peer[" + std::to_string(i) + "].";
    const std::uint32_t line = runtime::line_of(table);
    if (!r.only_keys(table, prefix, {"id", "address"})) return fail();
    const toml::node* id = table.get("id");
    const toml::node* address = table.get("address");
    if (id == nullptr) {
      r.fail(Kind::kMissingKey, line, prefix + "id", "missing: every [[peer]] names its PeerId");
      return fail();
    }
    if (address == nullptr) {
      r.fail(Kind::kMissingKey, line, prefix + "address", "missing: every [[peer]] has an address host:port");
      return fail();
    }
    PeerAddress p;
    if (!r.peer(*id, prefix + "id", p.peer)) return fail();
    if (!seen.insert(p.peer).second) {
      r.fail(Kind::kDuplicatePeer, runtime::line_of(*id), prefix + "id", "peer " + p.peer.to_text() + " is listed twice");
      return fail();
    }
    if (!r.host_port(*address, prefix + "address", p.address)) return fail();
    out.push_back(std::move(p));
  }
  return out;
}

Expected<std::vector<PeerAddress>, runtime::TomlError> load_peers(const std::filesystem::path& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return unexpected(runtime::TomlError{Kind::kIo, path.string(), 0, "", "cannot read: " + ec.message()});
  if (size > kMaxFileBytes)
    return unexpected(runtime::TomlError{Kind::kIo, path.string(), 0, "", "file of " + std::to_string(size) +
                                                                           " bytes is too large for a peers file"});
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (!in) return unexpected(runtime::TomlError{Kind::kIo, path.string(), 0, "", "cannot read the file"});
  return parse_peers(bytes.str(), path.string());
}

}  // namespace bb::net
