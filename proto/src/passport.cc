#include "bb/ir/passport.h"

#include <climits>
#include <cstdint>
#include <vector>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "bb/ir/model_io.h"
#include "bb/ir/names.h"
#include "bb/ir/sha256.h"
#include "bb/ir/wire_format.h"
#include "bb/ir/wire_shape.h"

namespace bb::ir {
namespace {

void append_length_delimited(int field, const google::protobuf::MessageLite& message, std::string& out) {
  std::string header;
  {
    google::protobuf::io::StringOutputStream stream(&header);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.WriteTag(make_tag(field, WireType::kLengthDelimited));
    coded.WriteVarint64(message.ByteSizeLong());
  }
  out.append(header);
  append_serialized_deterministic(message, out);
}

}  // namespace

std::string graph_and_functions_bytes(const onnx::ModelProto& model) {
  std::string out;
  if (model.has_graph()) append_length_delimited(kModelGraphField, model.graph(), out);
  for (const auto& function : model.functions()) append_length_delimited(kModelFunctionsField, function, out);
  return out;
}

std::string graph_digest(const onnx::ModelProto& model) { return sha256_hex(graph_and_functions_bytes(model)); }

std::optional<ModelLayout> model_layout(std::string_view bytes) {
  if (bytes.size() > static_cast<std::size_t>(INT32_MAX)) return std::nullopt;
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                                            static_cast<int>(bytes.size()));
  ModelLayout layout;
  for (;;) {
    const auto start = static_cast<std::size_t>(in.CurrentPosition());
    const std::uint32_t tag = in.ReadTag();
    if (tag == 0) {
      if (!in.ConsumedEntireMessage()) return std::nullopt;
      break;
    }
    if (tag_type(tag) != WireType::kLengthDelimited) {
      if (!skip_field(in, tag)) return std::nullopt;
      continue;
    }
    std::uint32_t length = 0;
    if (!in.ReadVarint32(&length)) return std::nullopt;
    const auto body = static_cast<std::size_t>(in.CurrentPosition());
    if (length > bytes.size() - body || !in.Skip(static_cast<int>(length))) return std::nullopt;
    const std::string_view whole = bytes.substr(start, body - start + length);  // tag, length, body
    if (tag_field(tag) == kModelGraphField) {
      if (!layout.graph.empty()) return std::nullopt;  // protobuf would merge the two
      layout.graph = whole;
      layout.graph_body = body - start;
    } else if (tag_field(tag) == kModelFunctionsField) {
      layout.functions.push_back(whole);
    }
  }
  return layout;
}

std::optional<std::string> file_graph_digest(std::string_view bytes) {
  const auto layout = model_layout(bytes);
  if (!layout) return std::nullopt;
  Sha256 sha;
  sha.update(layout->graph);
  for (const std::string_view f : layout->functions) sha.update(f);
  return sha.finish_hex();
}

bool Passport::ran(std::string_view pass) const {
  for (const auto& p : passes)
    if (p == pass) return true;
  return false;
}

std::optional<Passport> read_passport(const onnx::ModelProto& model) {
  auto compiled = get_metadata(model, kPassportCompiled);
  if (!compiled) return std::nullopt;
  Passport passport;
  passport.compiled = std::string(*compiled);
  passport.compiler = std::string(get_metadata(model, kPassportCompiler).value_or(""));
  passport.digest = std::string(get_metadata(model, kPassportDigest).value_or(""));
  std::string_view passes = get_metadata(model, kPassportPasses).value_or("");
  while (!passes.empty()) {
    const auto comma = passes.find(',');
    passport.passes.emplace_back(passes.substr(0, comma));
    if (comma == std::string_view::npos) break;
    passes.remove_prefix(comma + 1);
  }
  return passport;
}

void write_passport(onnx::ModelProto& model, const Passport& passport) {
  std::string passes;
  for (const auto& p : passport.passes) {
    if (!passes.empty()) passes.push_back(',');
    passes.append(p);
  }
  set_metadata(model, kPassportCompiled, passport.compiled);
  set_metadata(model, kPassportCompiler, passport.compiler);
  set_metadata(model, kPassportPasses, passes);
  set_metadata(model, kPassportDigest, passport.digest);
}

}  // namespace bb::ir
