#include "file_digest.h"

#include <cstdint>
#include <vector>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>

#include "bb/ir/sha256.h"

namespace bb::runtime {
namespace {

namespace pb = google::protobuf;
using WireFormat = pb::internal::WireFormatLite;

constexpr int kModelGraphField = 7;       // onnx.ModelProto.graph
constexpr int kModelFunctionsField = 25;  // onnx.ModelProto.functions

}  // namespace

std::optional<std::string> file_graph_digest(std::string_view bytes) {
  if (bytes.size() > static_cast<std::size_t>(INT32_MAX)) return std::nullopt;
  pb::io::CodedInputStream in(reinterpret_cast<const std::uint8_t*>(bytes.data()), static_cast<int>(bytes.size()));
  std::string_view graph;
  std::vector<std::string_view> functions;
  for (;;) {
    const auto start = static_cast<std::size_t>(in.CurrentPosition());
    const std::uint32_t tag = in.ReadTag();
    if (tag == 0) {
      if (!in.ConsumedEntireMessage()) return std::nullopt;
      break;
    }
    const int field = WireFormat::GetTagFieldNumber(tag);
    if (WireFormat::GetTagWireType(tag) != WireFormat::WIRETYPE_LENGTH_DELIMITED) {
      if (!WireFormat::SkipField(&in, tag)) return std::nullopt;
      continue;
    }
    std::uint32_t length = 0;
    if (!in.ReadVarint32(&length)) return std::nullopt;
    const auto body = static_cast<std::size_t>(in.CurrentPosition());
    if (length > bytes.size() - body || !in.Skip(static_cast<int>(length))) return std::nullopt;
    const std::string_view whole = bytes.substr(start, body - start + length);  // tag, length, body
    if (field == kModelGraphField) {
      if (!graph.empty()) return std::nullopt;  // protobuf would merge the two
      graph = whole;
    } else if (field == kModelFunctionsField) {
      functions.push_back(whole);
    }
  }
  Sha256 sha;
  sha.update(graph);
  for (const std::string_view f : functions) sha.update(f);
  return sha.finish_hex();
}

}  // namespace bb::runtime
